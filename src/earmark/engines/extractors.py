"""What a transformers feature extractor and a torch model say about themselves: the fixed input
length an extractor pads or cuts to, and the size of a model's weights."""

from __future__ import annotations

from typing import Any

__all__ = ["fixed_window_s", "torch_size_bytes"]

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


def torch_size_bytes(model: Any) -> int:
    """Bytes of a torch model's parameters."""
    return sum(p.numel() * p.element_size() for p in model.parameters())
