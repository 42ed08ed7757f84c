"""Frozen pretrained encoders that turn a clip into frame vectors, for training heads.

- ``openwakeword``: Google's speech embedding from openWakeWord's front end (96-d every 80 ms);
- ``whisper-base``: the offline Whisper base encoder (CTranslate2), 512-d every 20 ms of audio;
- any transformers audio encoder, by Hub id or local folder: wav2vec2, HuBERT, WavLM, AST, the
  Whisper encoder (last hidden state), and CLAP's audio tower (one projected vector per clip).

Names joined with ``+`` (``openwakeword+whisper-base``) run each encoder and join their frames
side by side (the coarser ones repeated to the finer one's frame count).

``frames(audio)`` gives ``(T, D)``; ``embed(audio)`` pools them by mean and standard deviation
(``2 D``), so clips of any length give one vector.
"""

from __future__ import annotations

import math

import numpy as np

from .audio import Audio

__all__ = ["Encoder", "load_encoder", "stats_pool"]

SAMPLE_RATE = 16000
MIN_FRAMES = 100  # Whisper encoder input frames (1 s) at the least


def stats_pool(frames: np.ndarray) -> np.ndarray:
    """Mean and standard deviation over time: ``(T, D)`` -> ``(2 D,)``."""
    frames = np.asarray(frames, np.float32)
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)]).astype(np.float32)


class Encoder:
    """``frames(audio)`` -> ``(T, D)`` float32; ``name`` identifies it in a saved model."""

    name: str
    sample_rate: int = SAMPLE_RATE

    def frames(self, audio: Audio) -> np.ndarray:
        raise NotImplementedError

    def embed(self, audio: Audio) -> np.ndarray:
        return stats_pool(self.frames(audio))


class OpenWakeWordEncoder(Encoder):
    name = "openwakeword"

    def __init__(self) -> None:
        from .openwakeword import OpenWakeWordScorer

        self.front = OpenWakeWordScorer([])

    def frames(self, audio: Audio) -> np.ndarray:
        samples = audio.mono().resample(SAMPLE_RATE).samples
        pad = np.zeros(SAMPLE_RATE // 2, np.float32)  # half a second either side, so short words get frames
        self.front.reset()
        self.front.collected = []
        self.front.push(np.concatenate([pad, samples, pad]))
        frames, self.front.collected = np.array(self.front.collected, np.float32), None
        return frames


class WhisperEncoder(Encoder):
    name = "whisper-base"

    def __init__(self) -> None:
        import ctranslate2
        from transformers import WhisperFeatureExtractor

        from .whisper_weights import whisper_base_ct2

        self.model = ctranslate2.models.Whisper(str(whisper_base_ct2()), device="cpu", compute_type="float32")
        self.storage = ctranslate2.StorageView
        self.features = WhisperFeatureExtractor(feature_size=80)

    def frames(self, audio: Audio) -> np.ndarray:
        from .whisper_lid import encoded_frames, mel_features

        samples = audio.mono().resample(SAMPLE_RATE).samples[: 30 * SAMPLE_RATE]
        frames = encoded_frames(len(samples), MIN_FRAMES)  # only the audio that is there
        encoded = np.array(self.model.encode(self.storage.from_array(mel_features(self.features, [samples], frames))))
        return encoded[0, : max(1, math.ceil(len(samples) / 320))]  # encoder frames holding audio


class TransformersEncoder(Encoder):
    """The last hidden state of a transformers audio model (its encoder, for Whisper); CLAP's
    projected audio embedding."""

    def __init__(self, name: str, *, revision: str | None = None) -> None:
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModel

        from .loading import _check_local, _fetch

        _check_local(name)
        kwargs = {"revision": revision}
        self.name = name
        config = _fetch(name, "config", lambda **kw: AutoConfig.from_pretrained(name, **kw), kwargs)
        self.extractor = _fetch(
            name, "feature extractor", lambda **kw: AutoFeatureExtractor.from_pretrained(name, **kw), kwargs
        )
        self.kind = config.model_type
        # A classification checkpoint's head is dropped on purpose: its load report is noise here.
        from transformers.utils import logging

        level = logging.get_verbosity()
        logging.set_verbosity_error()
        try:
            if self.kind == "clap":
                from transformers import ClapModel

                model = _fetch(name, "weights", lambda **kw: ClapModel.from_pretrained(name, **kw), kwargs)
            else:
                model = _fetch(name, "weights", lambda **kw: AutoModel.from_pretrained(name, **kw), kwargs)
        finally:
            logging.set_verbosity(level)
        if self.kind == "whisper":  # only the encoder is used
            model = model.get_encoder()
        self.model = model.eval()
        self.sample_rate = int(self.extractor.sampling_rate)

    def frames(self, audio: Audio) -> np.ndarray:
        import torch

        samples = audio.mono().resample(self.sample_rate).samples
        inputs = self.extractor([samples], sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            if self.kind == "clap":
                return self.model.get_audio_features(**inputs).pooler_output.float().numpy()
            hidden = self.model(**inputs).last_hidden_state[0].float().numpy()
        if self.kind == "whisper":  # 30 s of input; keep the frames (20 ms each) that hold audio
            hidden = hidden[: max(1, math.ceil(len(samples) / self.sample_rate / 0.02))]
        return hidden


class JoinedEncoder(Encoder):
    """Several encoders side by side: each one's frames, repeated to the largest frame count, joined."""

    def __init__(self, parts: list[Encoder]) -> None:
        self.parts = parts
        self.name = "+".join(p.name for p in parts)

    def frames(self, audio: Audio) -> np.ndarray:
        each = [p.frames(audio) for p in self.parts]
        count = max(len(f) for f in each)
        return np.hstack([f[(np.arange(count) * len(f)) // count] for f in each])


def load_encoder(name: str, *, revision: str | None = None) -> Encoder:
    """A built-in encoder (``openwakeword``, ``whisper-base``), any transformers audio model, or
    several of them joined with ``+``."""
    if "+" in name:
        return JoinedEncoder([load_encoder(part, revision=revision) for part in name.split("+")])
    if name == "openwakeword":
        return OpenWakeWordEncoder()
    if name == "whisper-base":
        return WhisperEncoder()
    return TransformersEncoder(name, revision=revision)
