"""The one check between decoding and every model: a sane sample rate and sample values.

A header that claims 1 Hz or 10 MHz, or float samples around +-900 (unscaled PCM), would otherwise
reach a model as hours of audio or as noise; each is refused with the value and what is allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from .audio import Audio
from .errors import AudioError
from .options import ClassifyOptions

__all__ = ["check_audio"]

logger = logging.getLogger("earmark")


def check_audio(audio: Audio, options: ClassifyOptions) -> Audio:
    """``audio`` if its rate is within ``options.sample_rates`` and its peak at most ``options.max_peak``;
    with ``options.rescale`` an over-range input is divided by its peak instead of refused."""
    name = audio.source or "input"
    check_rate(audio.sample_rate, name, options)
    peak = float(np.abs(audio.samples).max())
    scale = _scale(peak, name, options)
    if scale is None:
        return audio
    return Audio(audio.samples / np.float32(scale), audio.sample_rate, audio.source)


def check_rate(rate: int, name: str, options: ClassifyOptions) -> None:
    low, high = options.sample_rates
    if not low <= rate <= high:
        raise AudioError(
            f"{name}: sample rate {rate} Hz is not allowed; earmark takes {low}-{high} Hz "
            "(sample_rates= changes the range)"
        )


def _scale(peak: float, name: str, options: ClassifyOptions) -> float | None:
    """None when the peak is allowed; the divisor with ``rescale``; else an AudioError."""
    if peak <= options.max_peak:
        return None
    if not options.rescale:
        raise AudioError(
            f"{name}: samples reach {peak:.4g}, far outside [-1, 1] (allowed peak {options.max_peak:g}); "
            "scale float audio to [-1, 1], or pass rescale=True (CLI --rescale) to divide it by its peak"
        )
    logger.info("%s: peak %.4g rescaled to 1.0", name, peak)
    return peak


def block_checker(stream: Any, options: ClassifyOptions) -> Callable[[np.ndarray], np.ndarray]:
    """The checks of :func:`check_audio` (and of :class:`Audio`'s finite samples) for a stream read in
    blocks: each block is checked as it comes. With ``rescale`` the whole file's peak is needed first,
    so the file is read once more before (in blocks, constant memory)."""
    name = stream.source
    check_rate(stream.sample_rate, name, options)
    scale = None
    if options.rescale:
        peak = 0.0
        for block in stream.blocks():
            peak = max(peak, float(np.abs(block).max()))
        scale = _scale(peak, name, options)

    def check(block: np.ndarray) -> np.ndarray:
        peak = float(np.abs(block).max())
        if not np.isfinite(peak):
            raise AudioError(f"{name}: the samples contain NaN or infinite values; only finite samples are allowed")
        if scale is not None:
            return block / np.float32(scale)
        _scale(peak, name, options)
        return block

    return check
