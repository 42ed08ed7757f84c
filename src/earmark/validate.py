"""The one check between decoding and every model: a sane sample rate and sample values.

A header that claims 1 Hz or 10 MHz, or float samples around +-900 (unscaled PCM), would otherwise
reach a model as hours of audio or as noise; each is refused with the value and what is allowed.
"""

from __future__ import annotations

import logging

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
    low, high = options.sample_rates
    if not low <= audio.sample_rate <= high:
        raise AudioError(
            f"{name}: sample rate {audio.sample_rate} Hz is not allowed; earmark takes {low}-{high} Hz "
            "(sample_rates= changes the range)"
        )
    peak = float(np.abs(audio.samples).max())
    if peak > options.max_peak:
        if not options.rescale:
            raise AudioError(
                f"{name}: samples reach {peak:.4g}, far outside [-1, 1] (allowed peak {options.max_peak:g}); "
                "scale float audio to [-1, 1], or pass rescale=True (CLI --rescale) to divide it by its peak"
            )
        logger.info("%s: peak %.4g rescaled to 1.0", name, peak)
        return Audio(audio.samples / np.float32(peak), audio.sample_rate, audio.source)
    return audio
