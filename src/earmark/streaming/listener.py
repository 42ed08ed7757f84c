"""Streaming detection: push audio in any chunk size, get :class:`Event`s as keywords are heard.

A :class:`Listener` feeds 16 kHz mono audio to frame scorers (openWakeWord, microWakeWord, or any
classifier over a sliding window) and turns their per-frame scores into events with a small state
machine: per-label threshold, patience (consecutive frames above it) and a refractory time.
Running over a whole file is the same code path as streaming, so it gives the same events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audio import Audio
from ..errors import AudioError, OptionError
from ..frames import STREAM_SAMPLE_RATE, FrameScorer
from .gate import VadGate

__all__ = ["FILLERS", "Event", "FrameScorer", "Listener", "StreamOptions", "Trigger"]

# Background classes of keyword-spotting models (Speech Commands, MLCommons KWS): not keywords.
FILLERS = ("_unknown_", "_silence_", "_background_noise_", "unknown", "other", "_other")


@dataclass(frozen=True)
class Event:
    """A keyword heard: its label, best score, and when (seconds from the start of the stream)."""

    label: str
    score: float
    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(self.score, 6),
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
        }


@dataclass(frozen=True)
class StreamOptions:
    """How frame scores become events."""

    threshold: float | Mapping[str, float] | None = None
    """Score a frame must reach: one number for every label, a mapping label -> threshold, or None
    for each model's own default (openWakeWord 0.5; microWakeWord its published cutoff)."""
    patience: int = 1
    """Consecutive frames at or above the threshold before an event fires."""
    refractory_s: float = 2.0
    """After an event, the same label cannot fire again for this long (debounce); nor before its score
    has fallen below the threshold once (so a word still inside a sliding window fires once)."""
    vad_threshold: float | None = None
    """Gate events with Silero VAD: fire only if speech probability reached this within the event's
    window. None turns the gate off."""

    ignore: tuple[str, ...] = FILLERS
    """Labels that never fire: by default the filler classes of keyword-spotting models (``_unknown_``,
    ``_silence_``, ``_background_noise_``, ``unknown``, ``other``); ``()`` lets every label fire."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore", tuple(self.ignore or ()))
        values = self.threshold.values() if isinstance(self.threshold, Mapping) else [self.threshold or 0.0]
        if not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in values):
            raise OptionError(f"threshold={self.threshold!r} is not allowed; use scores between 0 and 1")
        if not isinstance(self.patience, int) or self.patience < 1:
            raise OptionError(f"patience={self.patience!r} is not allowed; use a whole number >= 1")
        if self.vad_threshold is not None and not 0 <= self.vad_threshold <= 1:
            raise OptionError(f"vad_threshold={self.vad_threshold!r} is not allowed; use a probability in [0, 1]")
        if not (isinstance(self.refractory_s, (int, float)) and self.refractory_s >= 0):
            raise OptionError(f"refractory_s={self.refractory_s!r} is not allowed; use seconds >= 0")

    def threshold_for(self, label: str, default: float) -> float:
        if isinstance(self.threshold, Mapping):
            return float(self.threshold.get(label, default))
        return default if self.threshold is None else float(self.threshold)


class Trigger:
    """One label's events from its frame scores: ``threshold``, ``patience`` consecutive frames at or
    above it, then ``refractory_s`` before it can fire again, and never again before the score has
    fallen below the threshold once; with ``vad_threshold``, only where speech was heard. The
    :class:`Listener` runs one per label; the false-accept curve (:mod:`earmark.evaluation.detection`)
    replays recorded scores through the same machine at many thresholds."""

    __slots__ = ("label", "threshold", "patience", "refractory_s", "vad_threshold", "run", "best", "blocked", "armed")

    def __init__(
        self, label: str, threshold: float, patience: int, refractory_s: float, vad_threshold: float | None = None
    ) -> None:
        self.label, self.threshold, self.patience = label, threshold, patience
        self.refractory_s, self.vad_threshold = refractory_s, vad_threshold
        self.reset()

    def reset(self) -> None:
        self.run, self.best, self.blocked, self.armed = 0, 0.0, -1.0, True

    def step(self, score: float, end_s: float, context_s: float, speech: Callable[[], float] | None = None):
        """The event this frame fires, or None. ``speech()`` is the VAD's highest speech probability
        over the frame's context (asked only when the frame would fire)."""
        if score < self.threshold:
            self.run, self.best, self.armed = 0, 0.0, True
            return None
        if end_s < self.blocked or not self.armed:
            self.run, self.best = 0, 0.0
            return None
        self.run += 1
        self.best = max(self.best, score)
        if self.run < self.patience:
            return None
        start_s = max(0.0, end_s - context_s)
        if self.vad_threshold is not None and (speech() if speech else 0.0) < self.vad_threshold:
            self.run, self.best = 0, 0.0
            return None
        self.blocked, self.armed = end_s + self.refractory_s, False
        event = Event(self.label, self.best, start_s, end_s)
        self.run, self.best = 0, 0.0
        return event


class Listener:
    """Push audio in, get events out. ``reset()`` starts a new stream; ``flush()`` ends one."""

    def __init__(self, scorers: Sequence[FrameScorer], options: StreamOptions | None = None) -> None:
        if not scorers:
            raise OptionError("a Listener needs at least one model")
        self.scorers = list(scorers)
        self.options = options or StreamOptions()
        self.labels = tuple(label for s in self.scorers for label in s.labels)
        if len(set(self.labels)) != len(self.labels):
            raise OptionError(f"labels {list(self.labels)} repeat across models; each must be unique")
        if isinstance(self.options.threshold, Mapping):
            unknown = sorted(set(self.options.threshold) - set(self.labels))
            if unknown:
                raise OptionError(f"thresholds for unknown labels {unknown}; labels: {list(self.labels)}")
        self.reset()

    def reset(self) -> None:
        for scorer in self.scorers:
            scorer.reset()
        self._steps = [0] * len(self.scorers)
        o = self.options
        self._triggers = [
            {
                label: Trigger(
                    label, o.threshold_for(label, s.thresholds[label]), o.patience, o.refractory_s, o.vad_threshold
                )
                for label in s.labels
                if label not in o.ignore
            }
            for s in self.scorers
        ]
        self._resampler: Any = None
        self._rate: int | None = None
        self._vad = VadGate() if self.options.vad_threshold is not None else None

    def push(self, chunk: np.ndarray | Audio, sample_rate: int | None = None) -> list[Event]:
        """Feed a chunk (any length; float or int16 PCM; mono or multichannel) and return new events."""
        samples = self._to_16k(chunk, sample_rate, last=False)
        return self._score(samples)

    def flush(self) -> list[Event]:
        """End of stream: drain the resampler. Incomplete frames are dropped, as in a live stream."""
        if self._resampler is None:
            return []
        return self._score(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))

    def listen(self, chunks: Iterable[np.ndarray | Audio], sample_rate: int | None = None) -> list[Event]:
        """Every event of a whole stream of chunks (a file is one chunk)."""
        events = [e for chunk in chunks for e in self.push(chunk, sample_rate)]
        return events + self.flush()

    def _to_16k(self, chunk: np.ndarray | Audio, sample_rate: int | None, *, last: bool) -> np.ndarray:
        audio = chunk if isinstance(chunk, Audio) else None
        if audio is None:
            if sample_rate is None:
                raise AudioError("an audio chunk came without a sample rate; pass sample_rate=... or an earmark.Audio")
            if np.asarray(chunk).size == 0:
                return np.zeros(0, np.float32)
            audio = Audio(chunk, sample_rate)
        if self._rate is None:
            self._rate = audio.sample_rate
        elif audio.sample_rate != self._rate:
            raise AudioError(
                f"the stream changed sample rate from {self._rate} to {audio.sample_rate} Hz; reset() first"
            )
        samples = audio.mono().samples
        if audio.sample_rate == STREAM_SAMPLE_RATE:
            return samples
        if self._resampler is None:  # one streaming resampler, so chunking does not change the output
            import soxr

            self._resampler = soxr.ResampleStream(
                audio.sample_rate, STREAM_SAMPLE_RATE, 1, dtype="float32", quality="HQ"
            )
        return self._resampler.resample_chunk(samples, last=last)

    def _score(self, samples: np.ndarray) -> list[Event]:
        if self._vad is not None:
            self._vad.push(samples)
        events: list[Event] = []
        for k, scorer in enumerate(self.scorers):
            scores = scorer.push(samples)
            triggers = self._triggers[k]
            for row in scores:
                self._steps[k] += 1
                end_s = self._steps[k] * scorer.step_s
                start_s = max(0.0, end_s - scorer.context_s)
                speech = (lambda a=start_s, b=end_s: self._vad.speech(a, b)) if self._vad is not None else None
                for label, score in zip(scorer.labels, row):
                    trigger = triggers.get(label)
                    event = trigger.step(float(score), end_s, scorer.context_s, speech) if trigger else None
                    if event:
                        events.append(event)
        return sorted(events, key=lambda e: e.end_s)
