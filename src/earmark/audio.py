"""The :class:`Audio` value type: samples that always travel with their sample rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import AudioError

__all__ = ["Audio", "to_pcm16"]

# A 2-D array is (channels, frames) or (frames, channels); the short side is the
# channel axis, and more channels than this is taken as a mistake, not audio.
MAX_CHANNELS = 64
NOTEBOOK_MAX_S = 300
INT_SCALES = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0, np.dtype(np.int8): 128.0}


@dataclass(frozen=True, eq=False)
class Audio:
    """Audio samples with their sample rate.

    ``samples`` is float32 in [-1, 1]: shape ``(frames,)`` for mono or
    ``(channels, frames)`` (a single channel is stored as mono). Integer PCM (int8/int16/int32, uint8) is scaled to
    float; a 2-D array may also be ``(frames, channels)`` (the shorter axis is
    taken as channels). ``source`` names where it came from, for messages.
    """

    samples: np.ndarray
    sample_rate: int
    source: str | None = None

    def __post_init__(self) -> None:
        name = self.source or "array"
        rate = self.sample_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, np.integer, float)) or rate != int(rate) or rate <= 0:
            raise AudioError(f"{name}: sample rate {rate!r} is not allowed; it must be a positive whole number of Hz")
        object.__setattr__(self, "sample_rate", int(rate))
        object.__setattr__(self, "samples", _as_float32(self.samples, name))

    @property
    def num_channels(self) -> int:
        return 1 if self.samples.ndim == 1 else self.samples.shape[0]

    @property
    def num_samples(self) -> int:
        """Samples per channel. earmark's three kinds of "frame" have three names: audio has *samples*,
        encoders give feature *frames*, streaming scorers score in *steps*."""
        return self.samples.shape[-1]

    @property
    def num_frames(self) -> int:
        """Deprecated name of :attr:`num_samples` (kept for code written against earmark 0.2)."""
        return self.num_samples

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate

    def mono(self) -> Audio:
        """Downmix to one channel by averaging the channels."""
        if self.samples.ndim == 1:
            return self
        return Audio(self.samples.mean(axis=0, dtype=np.float32), self.sample_rate, self.source)

    def resample(self, sample_rate: int) -> Audio:
        """Resample to ``sample_rate`` with soxr (high quality), in the pieces every earmark path uses
        (:mod:`earmark.io.resample`: one piece, i.e. ``soxr.resample`` itself, up to a minute)."""
        if sample_rate == self.sample_rate:
            return self
        from .io.resample import resample

        out = resample(self.samples.T, self.sample_rate, sample_rate).T
        return Audio(np.ascontiguousarray(out, dtype=np.float32), sample_rate, self.source)

    def slice_s(self, start_s: float, end_s: float) -> Audio:
        """The part between two times, in seconds."""
        a, b = round(start_s * self.sample_rate), round(end_s * self.sample_rate)
        return Audio(self.samples[..., a:b], self.sample_rate, self.source)

    def _repr_html_(self) -> str:
        """An audio player in notebooks (the first 5 minutes, as 16-bit WAV)."""
        import base64
        import io

        import soundfile as sf

        buffer = io.BytesIO()
        clip = self.samples[..., : self.sample_rate * NOTEBOOK_MAX_S]
        sf.write(buffer, clip.T, self.sample_rate, format="WAV", subtype="PCM_16")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        title = f"<div>{self!r}</div>"
        return f'{title}<audio controls src="data:audio/wav;base64,{data}"></audio>'

    def __repr__(self) -> str:
        return (
            f"Audio(source={self.source!r}, sample_rate={self.sample_rate}, "
            f"channels={self.num_channels}, duration_s={self.duration_s:.3f})"
        )


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as 16-bit PCM values (rounded, clipped)."""
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def _as_float32(data: Any, name: str) -> np.ndarray:
    if type(data).__module__.startswith("torch"):
        data = data.detach().cpu().numpy()
    array = np.asarray(data)
    if array.dtype.kind not in "iuf":
        raise AudioError(f"{name}: samples of dtype {array.dtype} are not audio; use float or integer PCM")
    if array.ndim == 2:
        array = _channels_first(array, name)
        if array.shape[0] == 1:  # one channel is mono: keep one shape for it
            array = array[0]
    elif array.ndim != 1:
        raise AudioError(f"{name}: samples have shape {array.shape}; allowed are (frames,) or (channels, frames)")
    if array.shape[-1] == 0:
        raise AudioError(f"{name}: the audio is empty (0 samples)")
    if array.dtype in INT_SCALES:
        array = array.astype(np.float32) / np.float32(INT_SCALES[array.dtype])
    elif array.dtype == np.uint8:
        array = (array.astype(np.float32) - 128.0) / 128.0
    elif array.dtype.kind in "iu":
        raise AudioError(f"{name}: integer samples of dtype {array.dtype} are not supported; use int8/16/32 or uint8")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise AudioError(f"{name}: the samples contain NaN or infinite values; only finite samples are allowed")
    return array


def _channels_first(array: np.ndarray, name: str) -> np.ndarray:
    rows, cols = array.shape
    if rows <= cols and rows <= MAX_CHANNELS:
        return array
    if cols < rows and cols <= MAX_CHANNELS:
        return array.T
    raise AudioError(
        f"{name}: samples have shape {array.shape}; a 2-D array needs a channel axis of at most {MAX_CHANNELS}"
    )
