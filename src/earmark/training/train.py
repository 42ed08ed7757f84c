"""Train your own classifier: a small head on a frozen pretrained encoder.

Encoder frames are computed once per clip and cached (a rerun or an interrupted run resumes), the
split keeps groups (speakers, source recordings, folds) on one side only, torch heads stop early on a
group-aware validation split carved from the training groups, and the held-out clips are scored by
loading the saved folder the way users will. The folder is a normal earmark model
(``earmark classify --model DIR``, ``earmark listen --model DIR``) with a model card and the
training config.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import Classifier
from ..engines.head import CONFIG, OTHER, WEIGHTS, TrainedHead
from ..errors import OptionError
from ..hub import local_ref
from ..io.labelled import LabelledClip
from ..options import replace_fields
from ..registry import load
from ..results import Failure
from .cache import cache_file, encode_clips
from .card import data_licence, model_card
from .choose import AUTO, choose_encoder
from .heads import HEADS, fit_head, save_head
from .split import Split, split_clips

__all__ = ["TRAINING", "TrainOptions", "TrainReport", "finish", "train_head"]

TRAINING = "training.json"


@dataclass(frozen=True)
class TrainOptions:
    """What :func:`train_head` trains, and on which split."""

    encoder: str = "auto"
    """``auto`` (the best of openWakeWord + Whisper base and BirdNET on the training clips, see
    :mod:`earmark.training.choose`), ``openwakeword``, ``whisper-base``, ``birdnet``, ``musicnn``, a
    transformers audio model (Hub id or folder), or several joined with ``+``."""
    head: str = "logistic"
    """``logistic``, ``mlp`` or ``attention`` (attentive statistics pooling)."""
    encoder_engine: str = "transformers"
    """``onnx``: a transformers encoder runs on ONNX Runtime (exported once; see ``compute_type``)."""
    compute_type: str = "float32"
    """The encoder's precision on ONNX Runtime: ``float32`` or ``int8``."""
    split_by: str | None = None
    """Regex whose first group is a clip's group (speaker, recording, fold), matched on its file name."""
    test_groups: tuple[str, ...] | None = None
    """Hold out these groups for testing (else a group-aware random ``test_size``)."""
    test_size: float = 0.2
    """Share of the groups held out when no ``test_groups`` are named."""
    seed: int = 0
    """Fixes the split and the head's training."""
    cache: str | None = None
    """Folder for the encoder-frame cache (default: earmark's cache, one folder per data set, so the
    model folder stays small and a rerun or another head reuses the frames)."""
    data: str = ""
    """Where the clips came from (for the model card and the training config)."""
    licence: str | None = None
    """The training data's licence (default: found in ``data``'s folder)."""
    detector: str | None = None
    """Keyword detectors only (set by ``train_keyword``): the word the model scores alone."""
    window_s: float | None = None
    """Keyword detectors only: the listening window."""

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise OptionError(f"head {self.head!r} is not known; allowed: {', '.join(HEADS)}")
        if not 0 < self.test_size < 1:
            raise OptionError(f"test_size={self.test_size!r} is not allowed; use a share between 0 and 1")
        if isinstance(self.test_groups, str):
            object.__setattr__(self, "test_groups", (self.test_groups,))
        elif self.test_groups is not None:
            object.__setattr__(self, "test_groups", tuple(self.test_groups))
        if self.cache is not None:
            object.__setattr__(self, "cache", str(self.cache))

    def replace(self, **changes: Any) -> TrainOptions:
        """A copy with some fields changed (validated again); unknown names raise :class:`OptionError`."""
        return replace_fields(self, **changes)


@dataclass(frozen=True)
class TrainReport:
    mode: str
    base: str  # the encoder (head mode) or the starting checkpoint (finetune mode)
    head: str | None
    labels: tuple[str, ...]
    train_clips: int
    validation_clips: int
    test_clips: int
    test_groups: tuple[str, ...]
    accuracy: float
    macro_f1: float
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_head(
    clips: Sequence[LabelledClip],
    out: str | Path,
    options: TrainOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    **changes: Any,
) -> TrainReport:
    """Train a head on a frozen encoder, save it, and score it on the held-out groups.

    ``options`` (or its fields as keywords, e.g. ``encoder="whisper-base", head="mlp"``) say what to
    train; see :class:`TrainOptions`. Frames are cached and reused by later runs with the same encoder."""
    from ..engines.encoders import load_encoder

    opts = (options or TrainOptions()).replace(**changes)
    started = time.perf_counter()
    out = Path(out)

    def split_of(kept: Sequence[LabelledClip]) -> Split:
        return split_clips(
            kept, split_by=opts.split_by, test_groups=opts.test_groups, test_size=opts.test_size, seed=opts.seed
        )

    split = split_of(clips)  # a bad --split-by fails now, not after minutes of encoding
    cache = _prepare_folders(out, opts, clips)
    runs: dict[str, tuple[list[np.ndarray | None], list[Failure]]] = {}  # each encoder loaded and run once

    def encode(name: str) -> tuple[list[np.ndarray | None], list[Failure]]:
        if name not in runs:
            encoder = load_encoder(name, engine=opts.encoder_engine, compute_type=opts.compute_type)
            runtime = "" if opts.encoder_engine == "transformers" else f"@{opts.encoder_engine}-{opts.compute_type}"
            runs[name] = encode_clips(clips, encoder, cache_file(cache, name + runtime), progress)
        return runs[name]

    encoder_name, choice = _pick_encoder(opts, clips, split, encode)
    encoded, failed = encode(encoder_name)
    if failed:  # clips that cannot be read are left out, and the split made without them
        clips = [c for c, f in zip(clips, encoded) if f is not None]
        split = split_of(clips)
    frames = [f for f in encoded if f is not None]
    encoded_s = time.perf_counter() - started
    if opts.head == "logistic":  # no early stopping: it trains on the validation groups too
        split = Split(split.train | split.validation, np.zeros(len(clips), bool), split.test, split.groups)
    labels = np.array([c.label for c in clips])
    classes = sorted(set(labels))
    fit = ~split.test
    fitted = fit_head(
        opts.head,
        [f for f, m in zip(frames, fit) if m],
        labels[fit],
        classes,
        validation=split.validation[fit],
        seed=opts.seed,
    )
    _save_head_model(out, fitted, encoder_name, detector=opts.detector, window_s=opts.window_s)
    details = {
        "encode_seconds": round(encoded_s, 1),
        "fit_seconds": round(time.perf_counter() - started - encoded_s, 1),
        "failed": [f.to_dict() for f in failed],
    }
    if choice:
        details["encoder_choice"] = choice
    if fitted.stopping is not None:
        stop = fitted.stopping
        details |= {"epochs": stop.epochs, "stopped_at": stop.stopped_at, "refit": stop.refit}
    config = _head_config(opts, encoder_name)
    return finish(out, clips, split, config, data=opts.data, licence=opts.licence, started=started, details=details)


def _pick_encoder(
    opts: TrainOptions, clips: Sequence[LabelledClip], split: Split, encode: Callable[[str], Any]
) -> tuple[str, dict[str, Any] | None]:
    """The encoder asked for, or with ``auto`` the one a group-aware cross-validation on the training
    clips picks (and the figures it picked by)."""
    if opts.encoder != AUTO:
        return local_ref(opts.encoder), None
    fit = ~split.test
    labels = np.array([c.label for c in clips])
    return choose_encoder(
        labels[fit], split.groups[fit], lambda name: [f for f, m in zip(encode(name)[0], fit) if m], seed=opts.seed
    )


def _head_config(opts: TrainOptions, encoder: str) -> dict[str, Any]:
    """What ``training.json`` says about how a head was trained (and its encoder's runtime)."""
    config = {"mode": "head", "encoder": encoder, "head": opts.head, "split_by": opts.split_by, "seed": opts.seed}
    if opts.encoder_engine != "transformers":
        config |= {"encoder_engine": opts.encoder_engine, "compute_type": opts.compute_type}
    if opts.detector:
        config["detector"] = opts.detector
    return config


def _prepare_folders(out: Path, opts: TrainOptions, clips: Sequence[LabelledClip]) -> Path:
    """The model folder (without an earlier model's training record: its list of training clips would
    make the held-out scoring warn that these clips were trained on) and the frame cache folder."""
    out.mkdir(parents=True, exist_ok=True)
    (out / TRAINING).unlink(missing_ok=True)
    cache = Path(opts.cache) if opts.cache else _frame_cache(opts.data, clips)
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _frame_cache(data: str, clips: Sequence[LabelledClip]) -> Path:
    """``~/.cache/earmark/frames/NAME-KEY``: one folder per data set (its path, or its clips' keys)."""
    from ..hashing import fingerprint
    from ..hub import cache_dir

    source = str(Path(data).resolve()) if data and Path(data).exists() else data or [c.key for c in clips]
    name = Path(data).name if data else "clips"
    return cache_dir() / "frames" / f"{name}-{fingerprint({'data': source})}"


def _save_head_model(
    out: Path, fitted: TrainedHead, encoder: str, *, detector: str | None, window_s: float | None
) -> None:
    (out / WEIGHTS).unlink(missing_ok=True)  # a previous run's torch head
    save_head(fitted, out)
    config = {"type": "head", "encoder": encoder, "labels": list(fitted.classes)}
    if detector:
        config |= {"detector": detector, "window_s": window_s}
    (out / CONFIG).write_text(json.dumps(config, indent=2))


def finish(
    out: Path,
    clips: Sequence[LabelledClip],
    split: Split,
    config: dict[str, Any],
    *,
    data: str,
    licence: str | None,
    started: float,
    details: dict[str, Any],
) -> TrainReport:
    """Score the saved model on the held-out clips (loaded as a user would), then write the
    evaluation, the report, the training config and the model card."""
    from ..evaluation import evaluate

    test_clips = [c for c, t in zip(clips, split.test) if t]
    runtime = (
        {"engine": config["encoder_engine"], "compute_type": config["compute_type"]}
        if "encoder_engine" in config
        else {}
    )
    model = load(out, **runtime)  # on the runtime it was trained with
    if config.get("detector"):
        evaluation = _detection(model, test_clips, config["detector"])
    else:
        evaluation = evaluate(model, test_clips, data=data or "held out").to_dict()
    report = TrainReport(
        mode=config["mode"],
        base=config.get("encoder") or config.get("model"),
        head=config.get("head"),
        labels=tuple(model.labels),
        train_clips=int(split.train.sum()),
        validation_clips=int(split.validation.sum()),
        test_clips=int(split.test.sum()),
        test_groups=split.test_groups if config.get("split_by") else (),
        accuracy=evaluation["accuracy"],
        macro_f1=evaluation["macro_f1"],
        seconds=round(time.perf_counter() - started, 1),
        details=details,
    )
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
    licence = licence or data_licence(data)
    command = shlex.join(["earmark", *sys.argv[1:]]) if Path(sys.argv[0]).name == "earmark" else None
    training = {
        **config,
        "data": data,
        "licence": licence,
        "test_groups": list(report.test_groups),
        "clips": len(clips),
        "command": command,
        # the clips the model learnt from, so evaluating it on them can be warned about
        "trained_on": sorted(
            str(Path(c.source).resolve()) if Path(c.source).exists() else c.key
            for c, t in zip(clips, split.test)
            if not t
        ),
    }
    (out / TRAINING).write_text(json.dumps(training, indent=2))
    (out / "README.md").write_text(model_card(report, training, evaluation))
    return report


def _detection(model: Classifier, clips: Sequence[LabelledClip], keyword: str) -> dict[str, Any]:
    """A detector on held-out clips at its 0.5 threshold: accuracy, keyword recall, false accepts."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    scores = np.array([p.scores[0].score for p in model.iter_classify((c.decode() for c in clips), top_k=None)])
    truth = np.array([c.label == keyword for c in clips])
    fired = scores >= 0.5
    names = [keyword, OTHER]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, fired, labels=[True, False], zero_division=0
    )
    return {
        "model": model.name,
        "clips": len(clips),
        "accuracy": float(accuracy_score(truth, fired)),
        "macro_f1": float(f1_score(truth, fired, average="macro", zero_division=0)),
        "recall": float(fired[truth].mean()) if truth.any() else 0.0,
        "false_accept_rate": float(fired[~truth].mean()) if (~truth).any() else 0.0,
        "threshold": 0.5,
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
            for name, p, r, f, n in zip(names, precision, recall, f1, support)
        },
    }
