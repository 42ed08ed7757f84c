"""Frozen pretrained encoders that turn a clip of any length into one vector, for training heads.

- ``openwakeword``: Google's speech embedding from openWakeWord's front end (96-d every 80 ms),
  pooled by mean and standard deviation (192-d);
- ``whisper-base``: the offline Whisper base encoder (CTranslate2), mean and standard deviation over
  the frames that hold audio (1024-d).
"""

from __future__ import annotations

import math

import numpy as np

from .audio import Audio
from .errors import OptionError

__all__ = ["ENCODERS", "Encoder", "load_encoder"]

ENCODERS = ("openwakeword", "whisper-base")
SAMPLE_RATE = 16000
MIN_FRAMES = 100  # Whisper encoder input frames (1 s) at the least


class Encoder:
    """``embed(audio)`` -> a 1-D float32 vector; ``name`` identifies it in a saved model."""

    name: str
    dim: int

    def embed(self, audio: Audio) -> np.ndarray:
        raise NotImplementedError


def _stats(frames: np.ndarray) -> np.ndarray:
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)]).astype(np.float32)


class OpenWakeWordEncoder(Encoder):
    name, dim = "openwakeword", 192

    def __init__(self) -> None:
        from .openwakeword import OpenWakeWordScorer

        self.front = OpenWakeWordScorer([])

    def embed(self, audio: Audio) -> np.ndarray:
        samples = audio.mono().resample(SAMPLE_RATE).samples
        pad = np.zeros(SAMPLE_RATE // 2, np.float32)  # half a second either side, so short words get frames
        self.front.reset()
        self.front.collected = []
        self.front.push(np.concatenate([pad, samples, pad]))
        frames, self.front.collected = np.array(self.front.collected), None
        return _stats(frames)


class WhisperEncoder(Encoder):
    name, dim = "whisper-base", 1024

    def __init__(self) -> None:
        import ctranslate2
        from transformers import WhisperFeatureExtractor

        from .whisper_weights import whisper_base_ct2

        self.model = ctranslate2.models.Whisper(str(whisper_base_ct2()), device="cpu", compute_type="float32")
        self.storage = ctranslate2.StorageView
        self.features = WhisperFeatureExtractor(feature_size=80)

    def embed(self, audio: Audio) -> np.ndarray:
        from .whisper_lid import encoded_frames, mel_features

        samples = audio.mono().resample(SAMPLE_RATE).samples[: 30 * SAMPLE_RATE]
        frames = encoded_frames(len(samples), MIN_FRAMES)  # only the audio that is there
        encoded = np.array(self.model.encode(self.storage.from_array(mel_features(self.features, [samples], frames))))
        return _stats(encoded[0, : max(1, math.ceil(len(samples) / 320))])  # encoder frames holding audio


def load_encoder(name: str) -> Encoder:
    if name == "openwakeword":
        return OpenWakeWordEncoder()
    if name == "whisper-base":
        return WhisperEncoder()
    raise OptionError(f"encoder {name!r} is not known; allowed: {', '.join(ENCODERS)}")
