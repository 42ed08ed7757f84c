"""Engine: enrolled speakers (a folder written by ``earmark enroll``): who is speaking, or ``unknown``.

The folder's ``earmark.json`` (``"format": "earmark-speakers"``) names the encoder (``speaker``: GE2E) and
the threshold; ``embeddings.npz`` holds every enrolment clip's embedding with its speaker and source, so
``earmark enroll --add`` adds clips or speakers without re-embedding the rest. Each speaker's centroid is
the normalised mean of its clips' embeddings.

Scores are cosine similarities to each centroid; ``unknown`` scores the threshold itself, so it ranks
first exactly when no enrolled speaker is closer than the threshold. Long audio is scored in windows
(``--window-s``), so a timeline says who speaks when.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..classifier import Classifier
from ..errors import ModelError
from ..options import LoadOptions

__all__ = ["SPEAKERS_FORMAT", "UNKNOWN", "Enrolment", "SpeakerClassifier", "load", "speaker_encoder"]

SPEAKERS_FORMAT = "earmark-speakers"
UNKNOWN = "unknown"
EMBEDDINGS = "embeddings.npz"


def speaker_encoder(name: str = "speaker", threads: int | None = None) -> Any:
    """The GE2E encoder (``speaker``), or any Hub ``AutoModelForAudioXVector`` model by id or folder."""
    if name == "speaker":
        from .ge2e import GE2EEncoder

        return GE2EEncoder(threads)
    from .xvector import XVectorEncoder

    return XVectorEncoder(name)


@dataclass(frozen=True, eq=False)
class Enrolment:
    """Every enrolment clip's embedding ``(n, dim)`` with its speaker and source."""

    embeddings: np.ndarray
    speakers: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.speakers))

    def centroids(self) -> np.ndarray:
        rows = [self.embeddings[[s == name for s in self.speakers]].mean(axis=0) for name in self.names]
        centroids = np.stack(rows)
        return centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def save(self, folder: Path) -> None:
        np.savez(
            folder / EMBEDDINGS,
            embeddings=self.embeddings,
            speakers=np.array(self.speakers),
            sources=np.array(self.sources),
        )

    @classmethod
    def read(cls, folder: Path) -> Enrolment:
        with np.load(folder / EMBEDDINGS) as arrays:
            return cls(arrays["embeddings"], tuple(map(str, arrays["speakers"])), tuple(map(str, arrays["sources"])))


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class SpeakerClassifier(Classifier):
    """Enrolled speakers: cosine similarity of a clip's speaker embedding to each speaker's centroid."""

    engine = "speakers"
    default_function = "none"

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        try:
            self.config = json.loads((folder / "earmark.json").read_text())
            self.enrolment = Enrolment.read(folder)
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{folder}: not a readable earmark speaker model ({e})") from e
        self.folder, self.name = folder, str(folder)
        self.encoder = speaker_encoder(self.config["encoder"], threads)
        self.sample_rate = self.encoder.sample_rate
        self.threshold = float(self.config["threshold"])
        self.centroids = self.enrolment.centroids()
        self._labels = (*self.enrolment.names, UNKNOWN)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def embed(self, clip: np.ndarray) -> np.ndarray:
        return unit(self.encoder.embed(Audio(np.asarray(clip, np.float32), self.sample_rate)))

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        cosines = np.stack([self.centroids @ self.embed(c) for c in clips])
        return np.hstack([cosines, np.full((len(clips), 1), self.threshold)]).astype(np.float32)


def load(ref: str, options: LoadOptions) -> SpeakerClassifier:
    return SpeakerClassifier(Path(ref).expanduser(), threads=options.threads)
