"""Wake-word models by name as one clip classifier (``earmark.load("wake-word/alexa")``), whose
streaming scorers are the models' own frame-by-frame front ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...classifier import Classifier
from ...errors import OptionError
from ...frames import FrameScorer
from ...options import LoadOptions
from ...reference import WAKE_WORD_PREFIX
from .openwakeword import SAMPLE_RATE

__all__ = ["PREFIX", "WakeWordClassifier", "load"]

PREFIX = WAKE_WORD_PREFIX
MICRO_SUFFIX = "@micro"


class WakeWordClassifier(Classifier):
    """Wake-word models as a clip classifier: each label scores its best frame over the clip
    (run as a stream, with 1 s of silence either side as openWakeWord's ``predict_clip`` does), so
    ``earmark classify`` and evaluation work on them like on any model."""

    engine = "wake-word"
    sample_rate = SAMPLE_RATE
    multi_label = True
    default_function = "none"  # scores are already probabilities, one per wake word

    def __init__(self, names: Sequence[str], *, name: str, threads: int | None = None) -> None:
        self.name = name
        self.names = list(names)
        self.threads = threads
        self.scorers = _scorers(self.names, threads)
        self._labels = tuple(label for s in self.scorers for label in s.labels)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return sum(s.size_bytes for s in self.scorers)

    def frame_scorers(self, *, hop_s: float = 0.1) -> list[FrameScorer]:
        """New scorers of the models' own (openWakeWord: 80 ms frames; microWakeWord: 10 ms), so every
        stream has its own state; ``hop_s`` does not apply."""
        return _scorers(self.names, self.threads)

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        pad = np.zeros(SAMPLE_RATE, np.float32)
        out = np.zeros((len(clips), len(self._labels)), np.float32)
        for i, clip in enumerate(clips):
            audio = np.concatenate([pad, clip, pad])
            columns = []
            for scorer in self.scorers:
                scorer.reset()
                scores = scorer.push(audio)
                columns.append(scores.max(axis=0) if len(scores) else np.zeros(len(scorer.labels)))
            out[i] = np.concatenate(columns)
        return out


def load(ref: str, options: LoadOptions | None = None) -> WakeWordClassifier:
    """The wake-word engine's loader: ``wake-word/NAME`` (openWakeWord: alexa, hey_jarvis, hey_mycroft,
    hey_rhasspy, ok_nabu) or ``wake-word/NAME@micro`` (microWakeWord: alexa, hey_jarvis, hey_mycroft,
    okay_nabu); several joined with commas share one front end."""
    models = [part.strip() for part in ref.split(",")]
    if not all(m.startswith(PREFIX) and len(m) > len(PREFIX) for m in models):
        raise OptionError(f"wake-word models are named wake-word/NAME or wake-word/NAME@micro; got {models}")
    threads = options.threads if options is not None else None
    if threads is not None and all(m.endswith(MICRO_SUFFIX) for m in models):
        raise OptionError(f"threads={threads}: microWakeWord runs on one thread; threads sets openWakeWord's front end")
    return WakeWordClassifier([m[len(PREFIX) :] for m in models], name=",".join(models), threads=threads)


def _scorers(words: Sequence[str], threads: int | None = None) -> list[Any]:
    from .microwakeword import MicroWakeWordScorer
    from .openwakeword import OpenWakeWordScorer

    oww = [w for w in words if not w.endswith(MICRO_SUFFIX)]
    micro = [w.removesuffix(MICRO_SUFFIX) for w in words if w.endswith(MICRO_SUFFIX)]
    scorers: list[Any] = []
    if oww:
        scorers.append(OpenWakeWordScorer(oww, **({"threads": threads} if threads else {})))
    if micro:
        scorers.append(MicroWakeWordScorer(micro))
    return scorers
