"""Listen and look: facts about a recording, and a waveform + spectrogram picture."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..errors import missing_extra

__all__ = ["AudioInfo", "describe", "plot_audio"]

SILENCE_DBFS = -120.0


@dataclass(frozen=True)
class AudioInfo:
    source: str | None
    duration_s: float
    sample_rate: int
    channels: int
    rms_dbfs: float
    """Loudness as the RMS level of all samples, in dB relative to full scale."""
    peak_dbfs: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dbfs(value: float) -> float:
    return round(20 * np.log10(value), 2) if value > 0 else SILENCE_DBFS


def describe(audio: Audio) -> AudioInfo:
    samples = audio.samples.astype(np.float64)
    return AudioInfo(
        source=audio.source,
        duration_s=round(audio.duration_s, 4),
        sample_rate=audio.sample_rate,
        channels=audio.num_channels,
        rms_dbfs=_dbfs(float(np.sqrt(np.mean(samples**2)))),
        peak_dbfs=_dbfs(float(np.abs(samples).max())),
    )


def plot_audio(audio: Audio, path: str | Path) -> None:
    """Waveform (top) and spectrogram (bottom) of the mono mix, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as e:
        raise missing_extra("matplotlib", "eval", "plots") from e
    mono = audio.mono()
    t = np.arange(mono.num_samples) / mono.sample_rate
    figure, (wave_axes, spec_axes) = pyplot.subplots(2, 1, figsize=(10, 6), sharex=True)
    wave_axes.plot(t, mono.samples, linewidth=0.5)
    wave_axes.set(ylabel="amplitude", ylim=(-1.05, 1.05), title=f"{Path(audio.source or 'audio').name}")
    from matplotlib import mlab

    power, freqs, times = mlab.specgram(mono.samples, NFFT=512, Fs=mono.sample_rate, noverlap=384)
    db = 10 * np.log10(power + 1e-12)  # digital silence would be -inf
    spec_axes.pcolormesh(times, freqs, np.maximum(db, db.max() - 100), cmap="magma", shading="auto")
    spec_axes.set(xlabel="time (s)", ylabel="frequency (Hz)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
