"""The ``speaker`` encoder: resemblyzer's GE2E speaker network (Apache-2.0) re-implemented in NumPy from
the wheel's own weights, with its front end: 16 kHz audio raised to -30 dBFS (never lowered), a 40-band
power mel spectrogram (25 ms / 10 ms, librosa's slaney filters, centred frames), partial utterances of
160 frames (1.6 s) at 1.3 per second, each through a 3-layer LSTM (256) and a linear layer with ReLU,
L2-normalised; the utterance embedding is the normalised mean of its partials (resemblyzer's
``VoiceEncoder.embed_utterance``; tested equal to it in ``benchmarks/parity_resemblyzer.py``).

The weights are ``resemblyzer/pretrained.pt`` from the ``resemblyzer`` wheel (installed ``--no-deps``;
its sha256 is checked). They are read once with ``torch.load(weights_only=True)`` and kept as NumPy
arrays in earmark's cache, so later runs need no torch.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from ..audio import Audio
from ..errors import ModelError, missing_extra
from .encoders import Encoder

__all__ = ["GE2EEncoder", "SHA256", "embed_partials", "ge2e_mel", "partial_slices"]

SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
RATE, HOP, FFT, MELS = 16000, 160, 400, 40
PARTIAL = 160  # frames per partial utterance (1.6 s)
PARTIALS_PER_S, MIN_COVERAGE = 1.3, 0.75
TARGET_DBFS = -30.0


def weights_file() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt" if spec else None
    if path is None or not path.is_file():
        raise missing_extra(
            "resemblyzer", "speaker", "the speaker encoder", install="pip install --no-deps resemblyzer==0.1.4"
        )
    return path


@cache
def weights() -> dict[str, np.ndarray]:
    """The network's arrays: from earmark's cache, else read from the wheel (checked) and cached."""
    from ..hashing import file_sha256
    from ..hub import cache_dir

    cached = cache_dir() / "speaker" / f"ge2e-{SHA256[:16]}.npz"
    if cached.is_file():
        with np.load(cached) as arrays:
            return {k: arrays[k] for k in arrays.files}
    source = weights_file()
    if file_sha256(source) != SHA256:
        raise ModelError(f"{source}: sha256 differs from resemblyzer 0.1.4's pretrained.pt; reinstall resemblyzer")
    try:
        import torch
    except ImportError as e:
        raise missing_extra("torch", "transformers", "reading the speaker weights once") from e
    state = torch.load(source, map_location="cpu", weights_only=True)["model_state"]
    arrays = {k: v.float().numpy() for k, v in state.items()}
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".tmp.npz")
    np.savez(partial, **arrays)
    partial.replace(cached)
    return arrays


def ge2e_mel(wav: np.ndarray) -> np.ndarray:
    """``(frames, 40)`` power mel spectrogram of 16 kHz audio (librosa's ``melspectrogram`` defaults)."""
    from .frontends import mel_filters

    x = np.pad(np.asarray(wav, np.float32), (FFT // 2, FFT // 2))  # centred, zero-padded
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FFT) / FFT)
    frames = np.lib.stride_tricks.sliding_window_view(x, FFT)[::HOP] * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return (power @ _filters(mel_filters)).astype(np.float32)


@cache
def _filters(build) -> np.ndarray:
    return build(RATE, FFT, MELS)


def partial_slices(num_samples: int) -> list[tuple[int, int]]:
    """Mel-frame ranges of the partial utterances (resemblyzer's ``compute_partial_slices``)."""
    frames = int(np.ceil((num_samples + 1) / HOP))
    step = int(np.round((RATE / PARTIALS_PER_S) / HOP))
    ranges = [(i, i + PARTIAL) for i in range(0, max(1, frames - PARTIAL + step + 1), step)]
    start, stop = ranges[-1][0] * HOP, ranges[-1][1] * HOP
    if (num_samples - start) / (stop - start) < MIN_COVERAGE and len(ranges) > 1:
        ranges = ranges[:-1]
    return ranges


def embed_partials(mels: np.ndarray) -> np.ndarray:
    """``(partials, 256)`` L2-normalised embeddings of ``(partials, 160, 40)`` mel windows."""
    w = weights()
    x = mels.astype(np.float32)
    for layer in range(3):
        x = _lstm(
            x,
            w[f"lstm.weight_ih_l{layer}"],
            w[f"lstm.weight_hh_l{layer}"],
            w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"],
        )
    raw = np.maximum(0.0, x[:, -1] @ w["linear.weight"].T + w["linear.bias"])
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def _lstm(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One LSTM layer (torch's gate order i, f, g, o) over ``(batch, time, in)``; every step's hidden state."""
    batch, steps, _ = x.shape
    size = w_hh.shape[1]
    inputs = x @ w_ih.T + bias
    h = np.zeros((batch, size), np.float32)
    c = np.zeros((batch, size), np.float32)
    out = np.empty((batch, steps, size), np.float32)
    for t in range(steps):
        z = inputs[:, t] + h @ w_hh.T
        i, f, g, o = (z[:, k * size : (k + 1) * size] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large -z


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raised to -30 dBFS RMS, never lowered (resemblyzer's ``normalize_volume(increase_only=True)``)."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * 32767) ** 2))) if len(wav) else 0.0
    if rms == 0.0:
        return wav
    change = TARGET_DBFS - 20 * np.log10(rms / 32767)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def embed_utterance(wav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The utterance embedding ``(256,)`` and its partials' ``(n, 256)`` of 16 kHz audio, as it is given."""
    ranges = partial_slices(len(wav))
    longest = ranges[-1][1] * HOP
    if longest >= len(wav):
        wav = np.pad(wav, (0, longest - len(wav)))
    mel = ge2e_mel(wav)
    partials = embed_partials(np.stack([mel[a:b] for a, b in ranges]))
    mean = partials.mean(axis=0)
    return mean / np.linalg.norm(mean), partials


class GE2EEncoder(Encoder):
    """``speaker``: one 256-d embedding per partial utterance (frames) of volume-normalised 16 kHz audio;
    :meth:`embed` is the utterance embedding (resemblyzer's), not mean+std pooling."""

    name = "speaker"
    sample_rate = RATE
    window_s = 1.6

    def __init__(self, threads: int | None = None) -> None:
        weights()  # fail now, not on the first clip

    def frames(self, audio: Audio) -> np.ndarray:
        return embed_utterance(self._prepared(audio))[1]

    def embed(self, audio: Audio) -> np.ndarray:
        return embed_utterance(self._prepared(audio))[0]

    def _prepared(self, audio: Audio) -> np.ndarray:
        return normalize_volume(audio.mono().resample(RATE).samples)
