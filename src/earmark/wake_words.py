"""Wake-word models by name, and any classifier over a sliding window: one :class:`Listener` for all
(``listener``), and wake words as a clip classifier (``load_wake_words``)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from .audio import Audio
from .classifier import Classifier
from .errors import OptionError
from .streaming import Listener, StreamOptions

__all__ = ["ClassifierScorer", "HeadFrameScorer", "WakeWordClassifier", "listener", "load_wake_words"]

PREFIX = "wake-word/"
MICRO_SUFFIX = "@micro"


class ClassifierScorer:
    """Any earmark classifier on a stream: the last ``window_s`` scored every ``hop_s``."""

    def __init__(
        self,
        classifier: Classifier,
        *,
        window_s: float | None = None,
        hop_s: float = 0.1,
        labels: Sequence[str] | None = None,
    ) -> None:
        self.classifier = classifier
        self.window_s = window_s or getattr(classifier, "stream_window_s", None) or classifier.window_s or 1.0
        self.frame_s = hop_s
        self.context_s = self.window_s
        unknown = sorted(set(labels or ()) - set(classifier.labels))
        if unknown:
            raise OptionError(f"labels {unknown} are not the model's; it has {list(classifier.labels)[:20]}")
        self.labels = tuple(labels or classifier.labels)
        self._column = {label: i for i, label in enumerate(self.labels)}
        self.thresholds = dict.fromkeys(self.labels, 0.5)
        self.reset()

    def reset(self) -> None:
        self._buffer = np.zeros(round(self.window_s * 16000), np.float32)
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> np.ndarray:
        hop = round(self.frame_s * 16000)
        self._pending = np.concatenate([self._pending, samples])
        windows = []
        while len(self._pending) >= hop:
            self._buffer = np.concatenate([self._buffer[hop:], self._pending[:hop]])
            self._pending = self._pending[hop:]
            windows.append(Audio(self._buffer.copy(), 16000))
        if not windows:
            return np.zeros((0, len(self.labels)), np.float32)
        predictions = self.classifier.classify_many(windows, top_k=None)
        rows = np.zeros((len(windows), len(self.labels)), np.float32)
        for r, prediction in enumerate(predictions):
            for s in prediction.scores:
                if s.label in self._column:
                    rows[r, self._column[s.label]] = s.score
        return rows


class HeadFrameScorer:
    """A trained head on openWakeWord frames, streamed: the speech embedding runs once per 80 ms
    frame and the head scores the last window of frames, instead of re-encoding a whole window of
    audio every hop as :class:`ClassifierScorer` does."""

    def __init__(self, classifier) -> None:
        self.classifier = classifier
        self.front = classifier.encoder.front  # the encoder's own front end: loaded once
        self.frame_s = self.front.frame_s
        self.context_s = classifier.stream_window_s or 1.0
        # a training clip's frames: the clip and half a second of silence either side
        self.count = max(1, round((self.context_s + 0.5) / self.frame_s))
        self.labels = tuple(classifier.labels)
        self.thresholds = dict.fromkeys(self.labels, 0.5)
        self.reset()

    def reset(self) -> None:
        self.front.reset()
        self.frames: deque[np.ndarray] = deque(maxlen=self.count)

    def push(self, samples: np.ndarray) -> np.ndarray:
        self.front.collected = []
        self.front.push(samples)
        rows = []
        for frame in self.front.collected:
            self.frames.append(frame)
            rows.append(self.classifier.score_frames(np.array(self.frames)))
        self.front.collected = None
        return np.array(rows, np.float32).reshape(len(rows), len(self.labels))


class WakeWordClassifier(Classifier):
    """Wake-word models as a clip classifier: each label scores its best frame over the clip
    (run as a stream, with 1 s of silence either side as openWakeWord's ``predict_clip`` does), so
    ``earmark classify`` and evaluation work on them like on any model."""

    sample_rate = 16000
    multi_label = True
    default_function = "none"  # scores are already probabilities, one per wake word

    def __init__(self, scorers: Sequence, *, name: str) -> None:
        self.name = name
        self.scorers = list(scorers)
        self._labels = tuple(label for s in self.scorers for label in s.labels)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        pad = np.zeros(16000, np.float32)
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


def _scorers(models: Sequence[str], hop_s: float) -> list:
    from .loading import load
    from .microwakeword import MicroWakeWordScorer
    from .openwakeword import OpenWakeWordScorer

    oww, micro, others = [], [], []
    for name in models:
        if name.startswith(PREFIX):
            word = name[len(PREFIX) :]
            (micro if word.endswith(MICRO_SUFFIX) else oww).append(word.removesuffix(MICRO_SUFFIX))
        else:
            others.append(name)
    scorers: list = []
    if oww:
        scorers.append(OpenWakeWordScorer(oww))
    if micro:
        scorers.append(MicroWakeWordScorer(micro))
    for name in others:
        model = load(name)
        streams_frames = getattr(getattr(model, "encoder", None), "name", None) == "openwakeword"
        scorers.append(HeadFrameScorer(model) if streams_frames else ClassifierScorer(model, hop_s=hop_s))
    return scorers


def load_wake_words(models: Sequence[str]) -> WakeWordClassifier:
    """``wake-word/NAME`` models as one clip classifier (what ``earmark.load("wake-word/alexa")`` returns)."""
    if not models or not all(m.startswith(PREFIX) for m in models):
        raise OptionError(f"wake-word models are named wake-word/NAME or wake-word/NAME@micro; got {list(models)}")
    return WakeWordClassifier(_scorers(models, 0.1), name=",".join(models))


def listener(models: Sequence[str], options: StreamOptions | None = None, *, hop_s: float = 0.1) -> Listener:
    """A Listener for several models at once.

    ``wake-word/NAME`` is an openWakeWord model (alexa, hey_jarvis, hey_mycroft, hey_rhasspy,
    ok_nabu), ``wake-word/NAME@micro`` a microWakeWord one (alexa, hey_jarvis, hey_mycroft,
    okay_nabu); anything else is loaded with :func:`earmark.load` and scored on a sliding window.
    """
    if not models:
        raise OptionError("listen needs at least one model, e.g. wake-word/alexa")
    scorers = _scorers(models, hop_s)
    return Listener(scorers, options)
