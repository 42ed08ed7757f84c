"""Feature front ends in NumPy, equal to transformers' feature extractors (tested to 1e-5 on real clips),
so an exported model runs without torch or transformers:

- ``kaldi-fbank``: AST's Kaldi filterbank (128 log-mel bands, 25 ms / 10 ms, padded or cut to
  ``max_length`` frames, normalised by the dataset's mean and twice its std);
- ``waveform``: wav2vec2 / HuBERT / WavLM / XLS-R inputs (zero mean and unit variance per clip,
  padded to the longest clip, with the attention mask where the model takes one);
- ``whisper-log-mel``: Whisper's log10 mel (80 or 128 bands, 25 ms / 10 ms, 30 s), clipped to 8 below
  its peak and scaled as Whisper scales it;
- ``clap-mel``: CLAP's dB mel (64 bands, librosa's slaney filters) of a 10 s window, short clips
  repeated to fill it.

:func:`describe` turns a transformers extractor into a :class:`Frontend` (at export, where transformers
is installed); :meth:`Frontend.save` writes its settings and filter matrices into an export folder and
:func:`load_frontend` reads them back (at run time, where only NumPy is needed). :func:`mel_filters`
builds a slaney-scale filter bank (Whisper's, librosa's default) without transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

__all__ = [
    "FRONTEND",
    "KINDS",
    "Frontend",
    "describe",
    "load_frontend",
    "mel_filters",
    "power_spectrogram",
    "whisper_frontend",
]

FRONTEND = "frontend.json"
KINDS = ("kaldi-fbank", "waveform", "whisper-log-mel", "clap-mel")
MATRICES = ("mel_filters", "window")  # saved as .npy beside frontend.json
KALDI_FLOOR = 1.192092955078125e-07  # float32 epsilon, Kaldi's floor
MEL_FLOOR = 1e-10


@dataclass(frozen=True, eq=False)
class Frontend:
    """One kind of front end (:data:`KINDS`) with its settings and matrices; ``__call__(clips)`` gives
    the model's inputs as float32 arrays, keyed as transformers' extractor keys them."""

    kind: str
    sample_rate: int
    settings: dict[str, Any] = field(default_factory=dict)
    mel_filters: np.ndarray | None = None
    window: np.ndarray | None = None

    @property
    def window_s(self) -> float | None:
        """The input length every clip is padded or cut to, or None (any length)."""
        if self.kind == "kaldi-fbank":
            return self.settings["max_length"] * 0.010
        if self.kind in ("whisper-log-mel", "clap-mel"):
            return self.settings["n_samples"] / self.sample_rate
        return None

    @property
    def pads_with_mask(self) -> bool:
        return self.kind == "waveform" and bool(self.settings["return_attention_mask"])

    def __call__(self, clips: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        clips = [np.asarray(c, np.float32).reshape(-1) for c in clips]
        if self.kind == "kaldi-fbank":
            return {"input_values": np.stack([self._kaldi(c) for c in clips])}
        if self.kind == "waveform":
            return self._waveform(clips)
        if self.kind == "whisper-log-mel":
            return {"input_features": np.stack([self._whisper(c) for c in clips])}
        mels = np.stack([self._clap(c) for c in clips])
        return {"input_features": mels[:, None], "is_longer": np.zeros((len(clips), 1), bool)}

    def _kaldi(self, clip: np.ndarray) -> np.ndarray:
        s = self.settings
        x = clip.astype(np.float64)
        count = 1 + (len(x) - 400) // 160 if len(x) >= 400 else 0
        fbank = np.zeros((0, self.mel_filters.shape[1]), np.float32)
        if count > 0:
            frames = np.lib.stride_tricks.sliding_window_view(x, 400)[::160][:count].copy()
            frames -= frames.mean(axis=1, keepdims=True)  # DC offset, pre-emphasis 0.97, Hann (symmetric)
            frames[:, 1:] -= 0.97 * frames[:, :-1]
            frames[:, 0] *= 1 - 0.97
            frames *= self.window
            power = np.abs(np.fft.rfft(frames, n=512, axis=1).astype(np.complex64), dtype=np.float64) ** 2
            fbank = np.log(np.maximum(KALDI_FLOOR, power @ self.mel_filters)).astype(np.float32)
        length = s["max_length"]
        fbank = np.pad(fbank, ((0, max(0, length - len(fbank))), (0, 0)))[:length]
        if s["do_normalize"]:
            fbank = (fbank - np.float32(s["mean"])) / np.float32(s["std"] * 2)
        return fbank.astype(np.float32)

    def _waveform(self, clips: list[np.ndarray]) -> dict[str, np.ndarray]:
        s = self.settings
        longest = max(len(c) for c in clips)
        values = np.full((len(clips), longest), s["padding_value"], np.float32)
        mask = np.zeros((len(clips), longest), np.int32)
        for i, c in enumerate(clips):
            values[i, : len(c)], mask[i, : len(c)] = c, 1
        if s["do_normalize"]:
            for i, c in enumerate(clips):
                n = len(c) if s["return_attention_mask"] else longest
                row = values[i]
                normed = (row - row[:n].mean()) / np.sqrt(row[:n].var() + 1e-7)
                normed[n:] = s["padding_value"]
                values[i] = normed
        out = {"input_values": values}
        if s["return_attention_mask"]:
            out["attention_mask"] = mask
        return out

    def _whisper(self, clip: np.ndarray) -> np.ndarray:
        s = self.settings
        n = s["n_samples"]
        x = np.pad(clip[:n], (0, max(0, n - len(clip))))
        power = power_spectrogram(x, self.window, s["n_fft"], s["hop_length"])
        mel = np.log10(np.maximum(MEL_FLOOR, self.mel_filters.T @ power))[:, :-1]
        mel = np.maximum(mel, mel.max() - 8.0)
        return ((mel + 4.0) / 4.0).astype(np.float32)

    def _clap(self, clip: np.ndarray) -> np.ndarray:
        s = self.settings
        n = s["n_samples"]
        x = clip.astype(np.float64)[:n]  # a classifier's windows are never longer; a longer clip keeps its start
        if len(x) < n and s["padding"] in ("repeat", "repeatpad"):
            repeats = int(n / len(x))
            x = np.tile(x, repeats + 1)[:n] if s["padding"] == "repeat" else np.tile(x, repeats)
        x = np.pad(x, (0, n - len(x)))
        power = power_spectrogram(x, self.window, s["n_fft"], s["hop_length"])
        mel = np.maximum(MEL_FLOOR, self.mel_filters.T @ power)
        return (10.0 * np.log10(np.maximum(mel, MEL_FLOOR))).T.astype(np.float32)

    def save(self, folder: Path) -> list[str]:
        """``frontend.json`` and the matrices in ``folder``; the names of the files written."""
        from ..atomic import write_atomic

        written = [FRONTEND]
        spec = {"kind": self.kind, "sample_rate": self.sample_rate, "settings": self.settings}
        write_atomic(folder / FRONTEND, json.dumps(spec, indent=2))
        for name in MATRICES:
            matrix = getattr(self, name)
            if matrix is not None:
                np.save(folder / f"{name}.npy", matrix)
                written.append(f"{name}.npy")
        return written


def power_spectrogram(x: np.ndarray, window: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """``(n_fft // 2 + 1, frames)`` power of a centred (reflect-padded) STFT, as transformers' ``spectrogram``
    computes it (float64 frames, complex64 spectrum)."""
    x = np.pad(np.asarray(x, np.float64), (n_fft // 2, n_fft // 2), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * window
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1).astype(np.complex64)
    return (np.abs(spectrum, dtype=np.float64) ** 2).T


def load_frontend(folder: Path) -> Frontend:
    """The front end saved in an export folder."""
    try:
        spec = json.loads((folder / FRONTEND).read_text())
        matrices = {name: np.load(folder / f"{name}.npy") for name in MATRICES if (folder / f"{name}.npy").is_file()}
        frontend = Frontend(spec["kind"], int(spec["sample_rate"]), spec["settings"], **matrices)
    except (OSError, KeyError, ValueError) as e:
        raise ModelError(f"{folder}: its front end ({FRONTEND}) is not readable ({e})") from e
    if frontend.kind not in KINDS:
        raise ModelError(f"{folder}: front end {frontend.kind!r} is not one of {KINDS}; a newer earmark wrote it")
    return frontend


def describe(extractor: Any) -> Frontend:
    """The NumPy front end equal to a transformers feature extractor, or a :class:`ModelError` naming
    the extractors that have one."""
    name = type(extractor).__name__
    rate = int(extractor.sampling_rate)
    if "ASTFeatureExtractor" in {c.__name__ for c in type(extractor).__mro__}:
        settings = {
            "max_length": int(extractor.max_length),
            "do_normalize": bool(extractor.do_normalize),
            "mean": float(extractor.mean),
            "std": float(extractor.std),
        }
        window = np.asarray(extractor.window, np.float64)
        return Frontend("kaldi-fbank", rate, settings, np.asarray(extractor.mel_filters, np.float64), window)
    if name == "Wav2Vec2FeatureExtractor":
        settings = {
            "do_normalize": bool(extractor.do_normalize),
            "return_attention_mask": bool(extractor.return_attention_mask),
            "padding_value": float(extractor.padding_value),
        }
        return Frontend("waveform", rate, settings)
    if name == "WhisperFeatureExtractor" and not getattr(extractor, "dither", 0.0):
        settings = {
            "n_samples": int(extractor.n_samples),
            "n_fft": int(extractor.n_fft),
            "hop_length": int(extractor.hop_length),
        }
        return Frontend(
            "whisper-log-mel", rate, settings, np.asarray(extractor.mel_filters, np.float64), _hann(extractor.n_fft)
        )
    if name == "ClapFeatureExtractor" and extractor.truncation != "fusion":
        settings = {
            "n_samples": int(extractor.nb_max_samples),
            "n_fft": int(extractor.fft_window_size),
            "hop_length": int(extractor.hop_length),
            "padding": str(extractor.padding),
        }
        mel = np.asarray(extractor.mel_filters_slaney, np.float64)
        return Frontend("clap-mel", rate, settings, mel, _hann(extractor.fft_window_size))
    raise ModelError(
        f"feature extractor {name} has no NumPy front end in earmark; exported models can use AST, wav2vec2-style, "
        "Whisper (no dither) and CLAP (not fusion) extractors"
    )


def whisper_frontend(n_mels: int = 80, n_samples: int = 480000) -> Frontend:
    """Whisper's log-mel front end (16 kHz, 25 ms / 10 ms) for ``n_samples`` of audio, without transformers."""
    settings = {"n_samples": n_samples, "n_fft": 400, "hop_length": 160}
    return Frontend("whisper-log-mel", 16000, settings, mel_filters(16000, 400, n_mels), _hann(400))


def _hann(n: int) -> np.ndarray:
    """The periodic Hann window (``torch.hann_window``, transformers' ``window_function(n, "hann")``)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """``(n_fft // 2 + 1, n_mels)`` slaney-scale, slaney-normalised triangular filters from 0 Hz to
    Nyquist (librosa's ``filters.mel`` default, Whisper's filter bank)."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2), n_mels + 2))
    lower = (freqs[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])
    upper = (edges[None, 2:] - freqs[:, None]) / (edges[2:] - edges[1:-1])
    filters = np.maximum(0.0, np.minimum(lower, upper))
    return filters * (2.0 / (edges[2:] - edges[:-2]))


def _hz_to_mel(hz: Any) -> Any:
    hz = np.asarray(hz, np.float64)
    linear = 3.0 * hz / 200.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) * (27.0 / np.log(6.4)), linear)


def _mel_to_hz(mel: Any) -> Any:
    mel = np.asarray(mel, np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (mel - 15.0)), 200.0 * mel / 3.0)
