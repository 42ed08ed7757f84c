"""Frame scorers: how a model is scored on a live stream, frame by frame, whatever the chunking.

A :class:`FrameScorer` takes 16 kHz mono float32 audio and returns one row of label scores for every
score *step* the audio completes (every ``step_s``: a wake-word model's 80 ms or 10 ms, a sliding
window's hop). Engines with their own streaming front end (openWakeWord, microWakeWord,
heads on openWakeWord frames) implement it; :class:`SlidingWindowScorer` does it for any classifier
by classifying the last window every hop. ``earmark.streaming.Listener`` turns the rows into events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from .audio import Audio
from .errors import OptionError

__all__ = ["STREAM_SAMPLE_RATE", "FrameScorer", "SlidingWindowScorer"]

STREAM_SAMPLE_RATE = 16000  # every stream is scored at this rate


class FrameScorer(Protocol):
    """Turns 16 kHz float32 audio into per-frame scores, frame by frame, whatever the chunking."""

    labels: tuple[str, ...]
    step_s: float  # time between score steps
    context_s: float  # audio a frame's score looks back over (for an event's start_s)
    thresholds: Mapping[str, float]  # each label's default threshold

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Scores ``(new_steps, len(labels))`` for every step completed by these samples."""

    def reset(self) -> None: ...


class SlidingWindowScorer:
    """Any earmark classifier on a stream: the last ``window_s`` scored every ``hop_s``."""

    def __init__(
        self,
        classifier: Any,
        *,
        window_s: float | None = None,
        hop_s: float = 0.1,
        labels: Sequence[str] | None = None,
    ) -> None:
        self.classifier = classifier
        self.window_s = window_s or classifier.stream_window_s or classifier.window_s or 1.0
        self.step_s = hop_s
        self.context_s = self.window_s
        unknown = sorted(set(labels or ()) - set(classifier.labels))
        if unknown:
            raise OptionError(f"labels {unknown} are not the model's; it has {list(classifier.labels)[:20]}")
        self.labels = tuple(labels or classifier.labels)
        self._column = {label: i for i, label in enumerate(self.labels)}
        self.thresholds = dict.fromkeys(self.labels, 0.5)
        self.reset()

    def reset(self) -> None:
        self._buffer = np.zeros(round(self.window_s * STREAM_SAMPLE_RATE), np.float32)
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> np.ndarray:
        hop = round(self.step_s * STREAM_SAMPLE_RATE)
        self._pending = np.concatenate([self._pending, samples])
        windows = []
        while len(self._pending) >= hop:
            self._buffer = np.concatenate([self._buffer[hop:], self._pending[:hop]])
            self._pending = self._pending[hop:]
            windows.append(Audio(self._buffer.copy(), STREAM_SAMPLE_RATE))
        if not windows:
            return np.zeros((0, len(self.labels)), np.float32)
        # raw scores: a calibrated model's maps and thresholds are applied once, by the Listener's scorer
        predictions = self.classifier.classify_many(windows, top_k=None, calibrated=False)
        rows = np.zeros((len(windows), len(self.labels)), np.float32)
        for r, prediction in enumerate(predictions):
            for s in prediction.scores:
                if s.label in self._column:
                    rows[r, self._column[s.label]] = s.score
        return rows
