"""Command-line options used by more than one command, each defined once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..engines.clap import DEFAULT_TEMPLATE

__all__ = [
    "ConfigOption",
    "Function",
    "Head",
    "LabelColumnOption",
    "LabelPatternOption",
    "LimitOption",
    "Mode",
    "Pooling",
    "SeedOption",
    "ShuffleOption",
    "SplitOption",
    "StreamingOption",
    "TemplateOption",
    "JsonFlag",
    "LicenceOption",
    "PlotOption",
    "DEFAULT_TEMPLATE",
]


class Pooling(str, Enum):
    mean = "mean"
    max = "max"
    vote = "vote"


class Function(str, Enum):
    softmax = "softmax"
    sigmoid = "sigmoid"
    none = "none"


class Metric(str, Enum):
    accuracy = "accuracy"
    macro_f1 = "macro_f1"
    top5_accuracy = "top5_accuracy"
    clips_per_s = "clips_per_s"


class Mode(str, Enum):
    head = "head"
    finetune = "finetune"


class Head(str, Enum):
    logistic = "logistic"
    mlp = "mlp"
    attention = "attention"


HF_HELP = "For hf:ID / hf:audiofolder:DIR data"
SplitOption = Annotated[str, typer.Option(help=f"{HF_HELP}: the split.")]
ConfigOption = Annotated[Optional[str], typer.Option(help=f"{HF_HELP}: the configuration (subset).")]
StreamingOption = Annotated[bool, typer.Option(help=f"{HF_HELP}: stream rows instead of downloading it all.")]
LabelColumnOption = Annotated[str, typer.Option(help=f"{HF_HELP}: the label column.")]

LabelPatternOption = Annotated[
    Optional[str], typer.Option(help="Regex whose first group is the label, matched on file names.")
]
LimitOption = Annotated[Optional[int], typer.Option(min=1, help="Evaluate at most this many clips.")]
ShuffleOption = Annotated[bool, typer.Option(help="Shuffle before --limit (seeded).")]
SeedOption = Annotated[int, typer.Option(help="Seed for --shuffle.")]
TemplateOption = Annotated[Optional[str], typer.Option(help="Zero-shot prompt with {} for the label (CLAP).")]
LabelMapOption = Annotated[Optional[Path], typer.Option(help="JSON: model label -> dataset label.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PlotOption = Annotated[Optional[Path], typer.Option(help="Write a PNG picture here.")]
LicenceOption = Annotated[
    Optional[str], typer.Option(help="Licence of the training data, for the model card (default: found in DATA).")
]
# The model options: every command that loads a model takes these, defined here once.
ModelOption = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="Model folder, Hub id, task, .tflite file; MODEL@onnx-int8 picks an engine."),
]
TaskOption = Annotated[Optional[str], typer.Option(help="A built-in task and its default model (earmark models list).")]
LabelsOption = Annotated[Optional[str], typer.Option(help="Zero-shot labels, comma-separated (CLAP).")]
EngineOption = Annotated[
    str, typer.Option(help="Engine: auto, or one by name (transformers, onnx, ct2, ...; earmark models engines).")
]
ComputeTypeOption = Annotated[str, typer.Option(help="Precision: float32, or int8 (onnx, ct2: faster).")]
ThreadsOption = Annotated[Optional[int], typer.Option(min=1, help="CPU threads (onnx, birdnet; default: the cores).")]
DeviceOption = Annotated[str, typer.Option(help="torch device: cpu, cuda, cuda:N or mps.")]
BatchSizeOption = Annotated[int, typer.Option(min=1, help="Clips per model call.")]
ENGINE_SUFFIXES = ("transformers", "onnx", "onnx-int8", "onnx-float32", "ct2", "ct2-int8", "ct2-float32")


def split_engine(ref: str, engine: str = "auto", compute_type: str = "float32") -> tuple[str, str, str]:
    """``MODEL@onnx-int8`` -> (MODEL, "onnx", "int8"): one model on several engines in one command.
    Only known engine suffixes are split (``wake-word/alexa@micro`` is a model name)."""
    base, at, suffix = ref.rpartition("@")
    if not at or suffix not in ENGINE_SUFFIXES:
        return ref, engine, compute_type
    name, _, precision = suffix.partition("-")
    return base, name, precision or "float32"


BIRDNET = "BirdNET (--task birds)"
LatOption = Annotated[Optional[float], typer.Option(help=f"{BIRDNET}: latitude for the species filter.")]
LonOption = Annotated[Optional[float], typer.Option(help=f"{BIRDNET}: longitude for the species filter.")]
WeekOption = Annotated[
    Optional[int], typer.Option(help=f"{BIRDNET}: week of the year, 1-48 (four per month); default: all year.")
]
SpeciesListOption = Annotated[
    Optional[Path], typer.Option(help=f"{BIRDNET}: only the species in this file (one per line).")
]
SensitivityOption = Annotated[
    Optional[float], typer.Option(help=f"{BIRDNET}: detection sensitivity, 0.5-1.5 (default 1.0).")
]
OverlapOption = Annotated[Optional[float], typer.Option(help=f"{BIRDNET}: overlap of its 3 s windows, seconds.")]
SfThreshOption = Annotated[Optional[float], typer.Option(help=f"{BIRDNET}: location-filter threshold (default 0.03).")]


def engine_options(**given: object) -> dict[str, object]:
    """The engine-specific options that were given (None: not given), for ``earmark.load``."""
    return {
        name: value if not isinstance(value, Path) else str(value) for name, value in given.items() if value is not None
    }


def model_ref(model: str | None, task: str | None) -> str:
    """The one reference a command loads: ``--model`` or ``--task`` (not both), tasks checked."""
    import difflib

    from ..errors import OptionError
    from ..tasks import TASKS

    if model is not None and task is not None:
        raise OptionError("give --model or --task, not both")
    if model is None and task is None:
        from .availability import availability

        offline = [
            f"--task {t.name} ({t.description})" for t in TASKS.values() if "offline" in availability(t.default_model)
        ]
        raise OptionError(
            "give --model or --task; offline here: " + "; ".join(offline) + " (earmark models list shows them all)"
        )
    if task is not None and task not in TASKS:
        close = difflib.get_close_matches(task, list(TASKS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise OptionError(f"unknown task {task!r}; {hint}tasks: {', '.join(TASKS)}")
    return model if model is not None else task


def label_list(labels: str | None) -> list[str] | None:
    """``--labels a,b`` as a list (``earmark.load`` splits a string itself; batch keeps the list)."""
    return [x.strip() for x in labels.split(",")] if labels is not None else None


def load_model(
    ref: str,
    *,
    labels: str | None = None,
    template: str | None = None,
    engine: str = "auto",
    compute_type: str = "float32",
    device: str = "cpu",
    threads: int | None = None,
    **extra: object,
):
    """``earmark.load`` with the model options as the CLI takes them (``MODEL@onnx-int8`` included)."""
    from ..registry import load

    ref, engine, compute_type = split_engine(ref, engine, compute_type)
    return load(
        ref,
        labels=labels,  # earmark.load splits "a,b" itself
        template=template,
        engine=engine,
        compute_type=compute_type,
        device=device,
        threads=threads,
        **engine_options(**extra),
    )
