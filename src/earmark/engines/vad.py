"""Speech regions with Silero VAD (the ``silero-vad`` package's ONNX model on onnxruntime)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..audio import Audio
from ..errors import missing_extra

__all__ = ["VAD_SAMPLE_RATE", "VadOptions", "silero_model", "speech_spans"]

VAD_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5
    """Speech probability above which a 32 ms frame counts as speech."""
    min_speech_s: float = 0.25
    """Shorter bursts are not speech."""
    min_silence_s: float = 0.3
    """Shorter pauses do not split speech."""
    pad_s: float = 0.1
    """Padding kept around each speech region."""


def silero_model(*, shared: bool = True):
    """Silero VAD's ONNX model: one shared per process (for whole files), or a new one (a stream's,
    whose recurrent state must not mix with another's)."""
    return _shared_model() if shared else _new_model()


@cache
def _shared_model():
    return _new_model()


def _new_model():
    try:
        from silero_vad import load_silero_vad
    except ImportError as e:
        raise missing_extra("silero-vad", "whisper", "voice activity detection") from e
    return load_silero_vad(onnx=True)


def speech_spans(audio: Audio, options: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Frame ranges ``[start, end)`` of speech, at ``audio.sample_rate`` (must be 16 kHz, mono)."""
    import torch
    from silero_vad import get_speech_timestamps

    if audio.sample_rate != VAD_SAMPLE_RATE or audio.num_channels != 1:
        audio = audio.mono().resample(VAD_SAMPLE_RATE)
    stamps = get_speech_timestamps(
        torch.from_numpy(np.ascontiguousarray(audio.samples)),
        silero_model(),
        sampling_rate=VAD_SAMPLE_RATE,
        threshold=options.threshold,
        min_speech_duration_ms=round(options.min_speech_s * 1000),
        min_silence_duration_ms=round(options.min_silence_s * 1000),
        speech_pad_ms=round(options.pad_s * 1000),
    )
    return [(int(s["start"]), int(s["end"])) for s in stamps]
