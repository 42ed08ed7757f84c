"""microWakeWord through ``pymicro-wakeword`` (its own TFLite library and micro front end).

Features come every 10 ms; the model scores every ``stride`` feature frames (30 ms) and the package
averages the last ``sliding_window_size`` probabilities. Only ``process_streaming_prob`` is called
(calling ``process_streaming`` on the same frame as well would advance the model twice).
"""

from __future__ import annotations

import numpy as np

from ...audio import to_pcm16
from ...errors import ModelError, missing_extra

__all__ = ["MICROWAKEWORD_MODELS", "MicroWakeWordScorer"]

MICROWAKEWORD_MODELS = ("alexa", "hey_jarvis", "hey_mycroft", "okay_nabu")
FEATURE_S = 0.010


class _One:
    """One microWakeWord model with its own feature front end."""

    def __init__(self, name: str) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
        except ImportError as e:
            raise missing_extra("pymicro-wakeword", "wake", "microWakeWord models") from e
        self.model = MicroWakeWord.from_builtin(Model(name))
        self.features = MicroWakeWordFeatures()

    def reset(self) -> None:
        self.model.reset()
        self.features.reset()

    def push(self, pcm: bytes) -> list[float]:
        """One probability per feature frame (the model's last average, held between its strides)."""
        out = []
        for features in self.features.process_streaming(pcm):
            prob = self.model.process_streaming_prob(features)
            out.append(float(prob or 0.0))
        return out


class MicroWakeWordScorer:
    """Scores for several microWakeWord models; a frame every 10 ms."""

    step_s = FEATURE_S
    context_s = 1.0

    def __init__(self, names: list[str]) -> None:
        unknown = [n for n in names if n not in MICROWAKEWORD_MODELS]
        if unknown:
            raise ModelError(f"no microWakeWord model {unknown}; available: {', '.join(MICROWAKEWORD_MODELS)}")
        self.labels = tuple(f"{name}@micro" for name in names)
        self._models = [_One(name) for name in names]
        # Each model's published cutoff (alexa 0.9, okay_nabu 0.97, ...).
        self.thresholds = {label: m.model.probability_cutoff for label, m in zip(self.labels, self._models)}

    @property
    def size_bytes(self) -> int:
        from importlib import resources

        folder = resources.files("pymicro_wakeword") / "models"
        return sum((folder / f"{label.removesuffix('@micro')}.tflite").stat().st_size for label in self.labels)

    def reset(self) -> None:
        for model in self._models:
            model.reset()

    def push(self, samples: np.ndarray) -> np.ndarray:
        pcm = to_pcm16(samples).astype("<i2").tobytes()
        columns = [model.push(pcm) for model in self._models]
        frames = min(len(c) for c in columns) if columns else 0
        return np.array([c[:frames] for c in columns], np.float32).T.reshape(frames, len(self._models))
