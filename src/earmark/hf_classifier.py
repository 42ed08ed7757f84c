"""Engine: any transformers ``AutoModelForAudioClassification`` checkpoint
(AST, wav2vec2, HuBERT, XLS-R, WavLM, Whisper-for-classification, ...)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from .classifier import Classifier

__all__ = ["TransformersClassifier", "fixed_window_s"]

# AST's Kaldi filterbank advances 10 ms per frame; its max_length counts frames.
AST_FRAME_S = 0.010


def fixed_window_s(feature_extractor: Any) -> float | None:
    """The input length a feature extractor pads or cuts every clip to, if it has one."""
    rate = feature_extractor.sampling_rate
    if getattr(feature_extractor, "n_samples", None):  # Whisper: 30 s
        return feature_extractor.n_samples / rate
    if getattr(feature_extractor, "nb_max_samples", None):  # CLAP: 10 s
        return feature_extractor.nb_max_samples / rate
    if type(feature_extractor).__name__ == "ASTFeatureExtractor":
        return feature_extractor.max_length * AST_FRAME_S
    return None


class TransformersClassifier(Classifier):
    """A transformers audio-classification model and its feature extractor, loaded once."""

    def __init__(self, model: Any, feature_extractor: Any, *, name: str) -> None:
        config = model.config
        self.model = model.eval()
        self.feature_extractor = feature_extractor
        self.name = name
        self.sample_rate = int(feature_extractor.sampling_rate)
        self.window_s = fixed_window_s(feature_extractor)
        self.multi_label = config.problem_type == "multi_label_classification"
        self.default_function = "none" if config.problem_type == "regression" else None
        self._labels = tuple(str(config.id2label[i]) for i in range(config.num_labels))
        # Padding a batch changes the outputs of models without an attention mask
        # (wav2vec2-base normalises over the padding): batch those by equal length only.
        self._pads_with_mask = bool(getattr(feature_extractor, "return_attention_mask", False))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        if self.window_s is not None or self._pads_with_mask:
            return self._forward_padded(list(clips))
        groups: dict[int, list[int]] = defaultdict(list)
        for i, clip in enumerate(clips):
            groups[len(clip)].append(i)
        out = np.empty((len(clips), len(self._labels)), dtype=np.float32)
        for indices in groups.values():
            out[indices] = self._forward_padded([clips[i] for i in indices])
        return out

    def _forward_padded(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch

        # Fixed-window extractors pad to their own length; passing padding=True would
        # make Whisper's pad to the longest clip instead of 30 s.
        padding = {} if self.window_s is not None else {"padding": True}
        inputs = self.feature_extractor(clips, sampling_rate=self.sample_rate, return_tensors="pt", **padding).to(
            self.model.device
        )
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        return logits.float().cpu().numpy()
