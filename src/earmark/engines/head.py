"""Engine: a head trained by ``earmark train`` on a frozen encoder, loaded from its folder.

The folder holds ``earmark.json`` (encoder, labels, and for a keyword detector its word and listening
window), ``head.json`` and, for torch heads, ``head.safetensors``. Heads:

- ``logistic``: standardised logistic regression on mean+std pooled frames;
- ``mlp``: one hidden layer on the same pooled vector;
- ``attention``: attentive statistics pooling (a learnt weight per frame, then the weighted mean and
  standard deviation) and a linear layer.
"""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomic
from ..audio import Audio
from ..classifier import Classifier
from ..errors import ModelError
from ..frames import FrameScorer
from ..options import LoadOptions
from ..threads import set_torch_threads
from .encoders import FrameStream, load_encoder, stats_pool

__all__ = [
    "CONFIG",
    "NUMPY_WEIGHTS",
    "OTHER",
    "SPEC",
    "WEIGHTS",
    "HeadClassifier",
    "HeadFrameScorer",
    "Stopping",
    "TrainedHead",
    "head_networks",
    "load",
    "load_head",
    "pad_frames",
]

CONFIG = "earmark.json"
WEIGHTS = "head.safetensors"
NUMPY_WEIGHTS = "head.npz"  # a torch head's weights for NumPy (earmark export writes them)
SPEC = "head.json"
OTHER = "_other"  # the negative class of a keyword detector


@functools.cache
def head_networks() -> dict[str, Any]:
    """The torch head classes by kind (built once: torch is imported only when a torch head is used)."""
    import torch
    from torch import nn

    class MLPHead(nn.Module):
        def __init__(self, dim: int, classes: int, hidden: int = 256, dropout: float = 0.3) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Dropout(0.1), nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Dropout(dropout))
            self.out = nn.Linear(hidden, classes)

        def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            weights = mask / mask.sum(dim=1, keepdim=True)
            return self.out(self.net(_weighted_stats(frames, weights)))

    class AttentionHead(nn.Module):
        def __init__(self, dim: int, classes: int, hidden: int = 128, dropout: float = 0.3) -> None:
            super().__init__()
            self.attend = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(2 * dim, classes)

        def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            scores = self.attend(frames).squeeze(-1).masked_fill(mask == 0, float("-inf"))
            return self.out(self.drop(_weighted_stats(frames, torch.softmax(scores, dim=1))))

    def _weighted_stats(frames: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        w = weights.unsqueeze(-1)
        mean = (w * frames).sum(dim=1)
        var = (w * (frames - mean.unsqueeze(1)) ** 2).sum(dim=1)
        return torch.cat([mean, var.clamp_min(1e-8).sqrt()], dim=1)

    return {"mlp": MLPHead, "attention": AttentionHead}


def pad_frames(frames: Sequence[np.ndarray], mean: np.ndarray, scale: np.ndarray):
    """Standardised frames padded to the longest clip, and the mask of real frames (torch tensors)."""
    import torch

    longest = max(len(f) for f in frames)
    x = np.zeros((len(frames), longest, len(mean)), np.float32)
    mask = np.zeros((len(frames), longest), np.float32)
    for i, f in enumerate(frames):
        x[i, : len(f)] = (f - mean) / scale
        mask[i, : len(f)] = 1.0
    return torch.from_numpy(x), torch.from_numpy(mask)


@dataclass(frozen=True)
class Stopping:
    """How a torch head's training stopped: the epochs kept, where it stopped, and whether it was refit."""

    epochs: int
    stopped_at: int
    validation_loss: float | None
    refit: bool


@dataclass(frozen=True, eq=False)
class TrainedHead:
    """A fitted head, as ``earmark train`` makes it and the head engine runs it: the standardisation of
    the pooled frames, and a logistic regression (``coef``, ``intercept``) or a torch network (``module``)."""

    kind: str
    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    module: Any = None
    stopping: Stopping | None = None
    weights: dict[str, np.ndarray] | None = None
    """A torch head's state in NumPy arrays (an exported head runs without torch)."""

    def logits(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(frames), len(classes))`` for each clip's encoder frames."""
        if self.kind == "logistic":
            x = np.stack([stats_pool(f) for f in frames])
            return ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        if self.module is None:
            return np.stack([self._numpy_logits((np.asarray(f, np.float32) - self.mean) / self.scale) for f in frames])
        import torch

        x, mask = pad_frames(frames, self.mean, self.scale)
        with torch.no_grad():
            return self.module(x, mask).numpy()

    def _numpy_logits(self, x: np.ndarray) -> np.ndarray:
        """The torch network's forward in NumPy (inference: dropout off) on one clip's standardised frames."""
        w = self.weights
        if self.kind == "mlp":
            weights = np.full(len(x), 1.0 / len(x), np.float32)
            hidden = np.maximum(0.0, _weighted_stats(x, weights) @ w["net.1.weight"].T + w["net.1.bias"])
        else:
            scores = np.tanh(x @ w["attend.0.weight"].T + w["attend.0.bias"]) @ w["attend.2.weight"].T
            scores = scores[:, 0] + w["attend.2.bias"][0]
            e = np.exp(scores - scores.max())
            hidden = _weighted_stats(x, e / e.sum())
        return hidden @ w["out.weight"].T + w["out.bias"]

    def numpy_state(self) -> dict[str, np.ndarray]:
        """A torch head's state as float32 arrays (what :data:`NUMPY_WEIGHTS` holds)."""
        return {k: v.detach().float().numpy() for k, v in self.module.state_dict().items()}

    def save(self, folder: Path) -> None:
        """``head.json`` (and ``head.safetensors`` for a torch head) in ``folder``, each written atomically."""
        spec: dict[str, Any] = {
            "kind": self.kind,
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }
        if self.kind == "logistic":
            spec |= {"coef": self.coef.tolist(), "intercept": self.intercept.tolist()}
        else:
            from safetensors.torch import save

            state = {k: v.detach().contiguous() for k, v in self.module.state_dict().items()}
            write_atomic(folder / WEIGHTS, save(state))
        if self.stopping is not None:
            spec |= asdict(self.stopping)
        write_atomic(folder / SPEC, json.dumps(spec))

    @classmethod
    def load(cls, folder: Path) -> TrainedHead:
        spec = json.loads((folder / SPEC).read_text())
        kind, classes = spec.get("kind", "logistic"), tuple(spec["classes"])
        mean, scale = np.array(spec["mean"], np.float32), np.array(spec["scale"], np.float32)
        if kind == "logistic":
            return cls(kind, classes, mean, scale, np.array(spec["coef"]), np.array(spec["intercept"]))
        if (folder / NUMPY_WEIGHTS).is_file():
            with np.load(folder / NUMPY_WEIGHTS) as arrays:
                return cls(kind, classes, mean, scale, weights={k: arrays[k] for k in arrays.files})
        from safetensors.torch import load_file

        module = head_networks()[kind](len(mean), len(classes))
        module.load_state_dict(load_file(str(folder / WEIGHTS)))
        stopping = Stopping(spec["epochs"], spec["stopped_at"], spec.get("validation_loss"), spec["refit"])
        return cls(kind, classes, mean, scale, module=module.eval(), stopping=stopping)


def _weighted_stats(frames: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean and standard deviation of frames, joined (the torch heads' pooling)."""
    mean = weights @ frames
    var = weights @ (frames - mean) ** 2
    return np.concatenate([mean, np.sqrt(np.maximum(var, 1e-8))])


class HeadClassifier(Classifier):
    """A trained head on a frozen encoder, loaded from its folder. A keyword detector (``detector``
    in its config) scores its one word with a sigmoid."""

    engine = "head"
    window_s = None

    def __init__(self, folder: Path, *, engine: str = "transformers", compute_type: str = "float32", threads=None):
        config = json.loads((folder / CONFIG).read_text())
        self.folder = folder
        self.name = str(folder)
        self.encoder = load_encoder(config["encoder"], engine=engine, compute_type=compute_type, threads=threads)
        self.encoder_engine, self.compute_type = engine, compute_type
        self.sample_rate = self.encoder.sample_rate
        self.head = TrainedHead.load(folder)
        self.stream_window_s = config.get("window_s")
        if config.get("index"):  # trained from an index: its windows
            self.window_s = float(config["index"]["window_s"])
        self.detector = config.get("detector")
        if self.detector:
            self.multi_label = True
            self._labels: tuple[str, ...] = (self.detector,)
            self._columns = [self.head.classes.index(self.detector), self.head.classes.index(OTHER)]
        else:
            self._labels = self.head.classes

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        """The head's own files (the encoder's weights are shared and not counted)."""
        return sum((self.folder / f).stat().st_size for f in (SPEC, WEIGHTS) if (self.folder / f).is_file())

    @property
    def identity(self) -> dict[str, Any]:
        return super().identity | {"encoder_engine": self.encoder_engine}

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        return self._logits([self.encoder.frames(Audio(c, self.sample_rate)) for c in clips])

    def _logits(self, frames: list[np.ndarray]) -> np.ndarray:
        logits = self.head.logits(frames)
        if self.detector:  # sigmoid(z_word - z_other) is the softmax probability of the word
            return (logits[:, self._columns[0]] - logits[:, self._columns[1]])[:, None]
        return logits

    def score_frames(self, frames: np.ndarray) -> np.ndarray:
        """Scores (sigmoid for a detector, softmax otherwise) for one clip's encoder frames."""
        z = self._logits([frames])[0]
        if self.detector:
            return 1.0 / (1.0 + np.exp(-z))
        e = np.exp(z - z.max())
        return e / e.sum()

    def frame_scorers(self, *, hop_s: float = 0.1) -> list[FrameScorer]:
        """Frame by frame when the encoder streams its frames (openWakeWord), else a sliding window."""
        stream = self.encoder.frame_stream()
        if stream is None:
            return super().frame_scorers(hop_s=hop_s)
        return [HeadFrameScorer(self, stream)]


class HeadFrameScorer:
    """A trained head on a streaming encoder's frames: the encoder runs once per frame (80 ms for
    openWakeWord) and the head scores the last window of frames, instead of re-encoding a whole
    window of audio every hop as the sliding-window scorer does."""

    def __init__(self, classifier: HeadClassifier, stream: FrameStream) -> None:
        self.classifier = classifier
        self.stream = stream
        self.step_s = stream.frame_s  # one score step per encoder frame
        self.context_s = classifier.stream_window_s or 1.0
        # a training clip's frames: the clip and half a second of silence either side
        self.count = max(1, round((self.context_s + 0.5) / self.step_s))
        self.labels = tuple(classifier.labels)
        self.thresholds = dict.fromkeys(self.labels, 0.5)
        self.reset()

    def reset(self) -> None:
        self.stream.reset()
        self.frames: deque[np.ndarray] = deque(maxlen=self.count)

    def push(self, samples: np.ndarray) -> np.ndarray:
        rows = []
        for frame in self.stream.push(samples):
            self.frames.append(frame)
            rows.append(self.classifier.score_frames(np.array(self.frames)))
        return np.array(rows, np.float32).reshape(len(rows), len(self.labels))


def load_head(folder: str | Path, **runtime: Any) -> HeadClassifier:
    """A head model folder written by ``earmark train``; ``engine="onnx"`` and ``compute_type`` (and
    ``threads``) run a transformers encoder on ONNX Runtime (``earmark.load(folder, engine="onnx")``)."""
    folder = Path(folder).expanduser()
    try:
        return HeadClassifier(folder, **runtime)
    except (OSError, KeyError, ValueError) as e:
        raise ModelError(f"{folder}: not a readable earmark head model ({e})") from e


def load(ref: str, options: LoadOptions | None = None) -> HeadClassifier:
    """The head engine's loader: the encoder runs on ``options.runtime`` (transformers, or onnx with
    ``compute_type`` and ``threads``), as the registry's head row allows."""
    if options is None:
        return load_head(ref)
    runtime = options.runtime if options.runtime in ("transformers", "onnx") else "transformers"
    set_torch_threads(options.threads)
    return load_head(ref, engine=runtime, compute_type=options.compute_type or "float32", threads=options.threads)
