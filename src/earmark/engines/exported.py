"""Engine: a folder written by ``earmark export``, run on ONNX Runtime and NumPy alone (no torch, no
transformers).

The folder's ``earmark.json`` (``"format": "earmark-export"``) says what it holds:

- ``classifier``: ``model.onnx`` (logits) and its front end (:mod:`earmark.engines.frontends`);
- ``zero-shot``: CLAP's audio tower (``model.onnx``) with the text embeddings of its bound labels
  (``text_embeddings.npy``) and the logit scale, computed once at export;
- ``head``: a head trained by ``earmark train`` (``head.json``, or ``head.npz`` for a torch head's
  weights, run in NumPy) on its encoder: ``model.onnx`` for a transformers encoder, or a built-in
  encoder by name (openwakeword, whisper-base, birdnet: each on its own runtime).

The manifest also holds the files' sha256, the labels, the settings of the model and the parity
figures measured at export. A file whose size differs from the manifest's is refused at load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..classifier import Classifier
from ..errors import OptionError
from ..manifest import read_manifest
from ..options import LoadOptions
from .frontends import Frontend, load_frontend

__all__ = ["ExportedClassifier", "load"]

MODEL = "model.onnx"
TEXT = "text_embeddings.npy"


class ExportedClassifier(Classifier):
    """An exported model folder on ONNX Runtime with its NumPy front end."""

    engine = "exported"

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        from .runtimes.onnx import session

        self.folder = folder
        self.manifest = manifest = read_manifest(folder)
        self.name = str(folder)
        self.kind = manifest["kind"]
        self.compute_type = manifest["compute_type"]
        self.sample_rate = int(manifest["sample_rate"])
        self.window_s = manifest.get("window_s")
        self.multi_label = bool(manifest.get("multi_label", False))
        self.default_function = manifest.get("default_function")
        self.equal_length_batches = bool(manifest.get("equal_length_batches", False))
        self._labels = tuple(manifest["labels"])
        self.session = session(folder / MODEL, threads=threads) if (folder / MODEL).is_file() else None
        self.frontend: Frontend | None = load_frontend(folder) if self.session is not None else None
        if self.kind == "zero-shot":
            self.zero_shot = True
            self.text = np.load(folder / TEXT)
            self.logit_scale = float(manifest["zero_shot"]["logit_scale"])
        elif self.kind == "head":
            self._head = _ExportedHead(self, manifest["head"], threads)
            self.stream_window_s = manifest["head"].get("window_s")
            self.multi_label = self.multi_label or bool(manifest["head"].get("detector"))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return sum(e["bytes"] for e in self.manifest.get("files", {}).values())

    @property
    def parity(self) -> dict[str, Any]:
        return self.manifest.get("parity", {})

    def with_labels(self, labels: Sequence[str], template: str | None = None) -> Classifier:
        raise OptionError(
            f"{self.name}: an exported model's labels are bound at export ({', '.join(self._labels)}); export "
            f"again with --labels, or load {self.manifest.get('source')!r} itself with the full install "
            "(pip install 'earmark[transformers]') for other labels"
        )

    def run(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """The ONNX graph's one output for clips at :attr:`sample_rate`."""
        from .runtimes.onnx import feeds

        return self.session.run(None, feeds(self.session, self.frontend(clips)))[0].astype(np.float32)

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        if self.kind == "head":
            return self._head.forward(clips)
        if self.kind == "zero-shot":
            return (self.run(clips) @ self.text.T * self.logit_scale).astype(np.float32)
        if self.equal_length_batches and len({len(c) for c in clips}) > 1:
            return np.concatenate([self.run([c]) for c in clips])
        return self.run(clips)

    def frame_scorers(self, *, hop_s: float = 0.1) -> list[Any]:
        if self.kind == "head":
            return self._head.frame_scorers(hop_s) or super().frame_scorers(hop_s=hop_s)
        return super().frame_scorers(hop_s=hop_s)


class _ExportedHead:
    """A trained head in NumPy on its encoder's frames: the exported encoder graph, or a built-in encoder."""

    def __init__(self, owner: ExportedClassifier, spec: dict[str, Any], threads: int | None) -> None:
        from .head import OTHER, TrainedHead

        self.owner, self.spec = owner, spec
        self.head = TrainedHead.load(owner.folder)
        self.detector = spec.get("detector")
        self.columns = (
            [self.head.classes.index(self.detector), self.head.classes.index(OTHER)] if self.detector else None
        )
        self.encoder = None
        if owner.session is None:  # a built-in encoder, on its own runtime
            from .encoders import load_encoder

            self.encoder = load_encoder(spec["encoder"], threads=threads)

    def frames(self, clip: np.ndarray) -> np.ndarray:
        if self.encoder is not None:
            return self.encoder.frames(Audio(clip, self.owner.sample_rate))
        hidden = self.owner.run([clip])[0]
        kind = self.spec.get("encoder_kind")
        if kind == "clap":
            return hidden[None]
        if kind == "whisper":  # 30 s of input; the frames (20 ms each) that hold audio
            return hidden[: max(1, math.ceil(len(clip) / self.owner.sample_rate / 0.02))]
        return hidden

    def logits(self, frames: list[np.ndarray]) -> np.ndarray:
        logits = self.head.logits(frames)
        if self.detector:  # sigmoid(z_word - z_other) is the softmax probability of the word
            return (logits[:, self.columns[0]] - logits[:, self.columns[1]])[:, None]
        return logits

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        return self.logits([self.frames(np.asarray(c, np.float32)) for c in clips]).astype(np.float32)

    def frame_scorers(self, hop_s: float) -> list[Any] | None:
        """Frame by frame on a streaming encoder (openWakeWord), as the head engine does."""
        stream = self.encoder.frame_stream() if self.encoder is not None else None
        if stream is None:
            return None
        from .head import HeadFrameScorer

        return [HeadFrameScorer(_Scorable(self), stream)]


class _Scorable:
    """What :class:`~earmark.engines.head.HeadFrameScorer` asks of a head classifier."""

    def __init__(self, head: _ExportedHead) -> None:
        self.head = head
        self.stream_window_s = head.owner.stream_window_s
        self.labels = head.owner.labels

    def score_frames(self, frames: np.ndarray) -> np.ndarray:
        z = self.head.logits([frames])[0]
        if self.head.detector:
            return 1.0 / (1.0 + np.exp(-z))
        e = np.exp(z - z.max())
        return e / e.sum()


def load(ref: str, options: LoadOptions) -> ExportedClassifier:
    """The exported engine's loader: the folder fixes the precision; a different one asked is refused."""
    folder = Path(ref).expanduser()
    classifier_precision = read_manifest(folder)["compute_type"]
    if options.compute_type not in (None, classifier_precision):
        raise OptionError(
            f"compute_type={options.compute_type!r}: {ref} was exported in {classifier_precision}; export it again "
            f"with --compute-type {options.compute_type}"
        )
    if options.labels is not None:
        raise OptionError(
            f"{ref}: an exported model's labels are bound at export; export again with --labels, or load the "
            "original model with the full install (pip install 'earmark[transformers]')"
        )
    return ExportedClassifier(folder, threads=options.threads)
