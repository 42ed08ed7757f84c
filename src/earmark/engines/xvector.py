"""A Hub speaker-verification model (``AutoModelForAudioXVector``: wav2vec2 / WavLM / UniSpeech-SAT ``...-sv``)
as a speaker encoder: one L2-normalised x-vector per clip (torch and transformers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..audio import Audio
from ..hub import check_local, pretrained
from .encoders import Encoder

__all__ = ["XVectorEncoder"]


class XVectorEncoder(Encoder):
    """``frames(audio)`` is the clip's x-vector as one frame; :meth:`embed` the vector itself."""

    window_s = 3.0

    def __init__(self, name: str, *, revision: str | None = None) -> None:
        from transformers import AutoFeatureExtractor, AutoModelForAudioXVector

        check_local(name)
        self.name = name
        self.extractor = pretrained(AutoFeatureExtractor, name, "feature extractor", revision=revision)
        self.model: Any = pretrained(AutoModelForAudioXVector, name, "weights", revision=revision).eval()
        self.sample_rate = int(self.extractor.sampling_rate)

    def embed(self, audio: Audio) -> np.ndarray:
        import torch

        samples = audio.mono().resample(self.sample_rate).samples
        inputs = self.extractor([samples], sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            vector = self.model(**inputs).embeddings[0].float().numpy()
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def frames(self, audio: Audio) -> np.ndarray:
        return self.embed(audio)[None]
