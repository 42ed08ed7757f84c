"""What a transformers feature extractor and a torch model say about themselves (the fixed input
length an extractor pads or cuts to, the size of a model's weights), and a faster AST filterbank."""

from __future__ import annotations

from typing import Any

__all__ = ["fast_extractor", "fixed_window_s", "torch_size_bytes"]

# AST's Kaldi filterbank advances 10 ms per frame; its max_length counts frames.
AST_FRAME_S = 0.010


def fixed_window_s(feature_extractor: Any) -> float | None:
    """The input length a feature extractor pads or cuts every clip to, if it has one."""
    rate = feature_extractor.sampling_rate
    if getattr(feature_extractor, "n_samples", None):  # Whisper: 30 s
        return feature_extractor.n_samples / rate
    if getattr(feature_extractor, "nb_max_samples", None):  # CLAP: 10 s
        return feature_extractor.nb_max_samples / rate
    if "ASTFeatureExtractor" in {c.__name__ for c in type(feature_extractor).__mro__}:
        return feature_extractor.max_length * AST_FRAME_S
    return None


def torch_size_bytes(model: Any) -> int:
    """Bytes of a torch model's parameters."""
    return sum(p.numel() * p.element_size() for p in model.parameters())


def fast_extractor(feature_extractor: Any) -> Any:
    """The extractor, with AST's filterbank computed for all frames at once where transformers would
    loop over them in Python (its NumPy path, taken when torchaudio is absent - always, for earmark):
    ~10x faster on a 10 s clip, the same features to float32 rounding (tested)."""
    from transformers import ASTFeatureExtractor
    from transformers.utils import is_speech_available

    if type(feature_extractor) is ASTFeatureExtractor and not is_speech_available():
        from .ast_features import FastASTFeatureExtractor

        feature_extractor.__class__ = FastASTFeatureExtractor
    return feature_extractor
