"""AST's Kaldi filterbank for all frames at once (transformers' NumPy path loops over frames in
Python): the same features to the bit, ~2-5x faster. Imported only when an AST model is loaded."""

from __future__ import annotations

import numpy as np
from transformers import ASTFeatureExtractor

__all__ = ["FastASTFeatureExtractor"]

FRAME, HOP, FFT, PREEMPHASIS, MEL_FLOOR = 400, 160, 512, 0.97, 1.192092955078125e-07


class FastASTFeatureExtractor(ASTFeatureExtractor):
    """``ASTFeatureExtractor`` with a vectorised ``_extract_fbank_features`` (same steps, same dtypes)."""

    def to_dict(self) -> dict:  # saved as the stock extractor, so any transformers loads it
        return super().to_dict() | {"feature_extractor_type": "ASTFeatureExtractor"}

    def _extract_fbank_features(self, waveform: np.ndarray, max_length: int) -> np.ndarray:
        x = np.asarray(np.squeeze(waveform), np.float64)
        count = 1 + (len(x) - FRAME) // HOP if x.ndim == 1 else 0
        if count < 1:
            return super()._extract_fbank_features(waveform, max_length)
        frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:count].copy()
        frames -= frames.mean(axis=1, keepdims=True)  # DC offset, pre-emphasis and window, as transformers
        frames[:, 1:] -= PREEMPHASIS * frames[:, :-1]
        frames[:, 0] *= 1 - PREEMPHASIS
        frames *= self.window
        spectrum = np.fft.rfft(frames, n=FFT, axis=1).astype(np.complex64)  # transformers stores complex64
        power = np.abs(spectrum, dtype=np.float64) ** 2
        fbank = np.log(np.maximum(MEL_FLOOR, power @ self.mel_filters)).astype(np.float32)
        if len(fbank) < max_length:
            return np.pad(fbank, ((0, max_length - len(fbank)), (0, 0)))
        return fbank[:max_length]
