"""Command-line options used by more than one command, each defined once."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import OptionError
from ..options import AUTO, DEFAULT_TEMPLATE, LoadOptions

if TYPE_CHECKING:
    from ..registry import ModelRef


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
    Optional[str],
    typer.Option(help="Engine: auto, or one by name (transformers, onnx, ct2...; earmark models engines)."),
]
ComputeTypeOption = Annotated[
    Optional[str], typer.Option(help="Precision: float32, or int8 (onnx, ct2); default: the engine's own.")
]
ThreadsOption = Annotated[Optional[int], typer.Option(min=1, help="CPU threads (default: the engine's own).")]
DeviceOption = Annotated[str, typer.Option(help="Device: cpu, cuda, cuda:N or mps (engines that can use one).")]
EngineOptionOption = Annotated[
    Optional[list[str]],
    typer.Option("--engine-option", help="KEY=VALUE: a setting of one engine (earmark models engines); repeatable."),
]
CalibrationOption = Annotated[
    Optional[str],
    typer.Option(
        help="Per-class thresholds from earmark calibrate: a calibration .json, or none; default: the model "
        "folder's calibration.json. --threshold overrides its thresholds."
    ),
]
BatchSizeOption = Annotated[int, typer.Option(min=1, help="Clips per model call.")]
RescaleOption = Annotated[
    bool, typer.Option(help="Divide float audio whose peak is far outside [-1, 1] by its peak instead of refusing it.")
]
PoolingOption = Annotated[Optional[Pooling], typer.Option(help="Pool window scores: mean, max, or vote.")]
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


BIRDNET_FLAGS = ("lat", "lon", "week", "species_list", "sensitivity", "overlap", "sf_thresh")

# The load options every command that loads a model takes: (name, annotation, default), declared once.
LOAD_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("engine", EngineOption, None),
    ("compute_type", ComputeTypeOption, None),
    ("threads", ThreadsOption, None),
    ("device", DeviceOption, "cpu"),
    ("labels", LabelsOption, None),
    ("template", TemplateOption, None),
    ("engine_option", EngineOptionOption, None),
    ("calibration", CalibrationOption, None),
    ("lat", LatOption, None),
    ("lon", LonOption, None),
    ("week", WeekOption, None),
    ("species_list", SpeciesListOption, None),
    ("sensitivity", SensitivityOption, None),
    ("overlap", OverlapOption, None),
    ("sf_thresh", SfThreshOption, None),
)


def with_load_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the load options (engine, precision, threads, device, zero-shot labels, engine
    options) as one ``load_options: LoadOptions`` argument; Typer sees them as ordinary options."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "load_options"]
    shared = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in LOAD_PARAMETERS
    ]

    @functools.wraps(command)
    def run(**given: Any) -> Any:
        values = {name: given.pop(name) for name, _, _ in LOAD_PARAMETERS}
        return command(**given, load_options=load_options(**values))

    del run.__wrapped__  # Typer must read the signature below, not the command's
    run.__signature__ = signature.replace(parameters=own + shared)
    run.__annotations__ = {p.name: p.annotation for p in own + shared}
    return run


def load_options(
    *,
    engine: str | None = None,
    compute_type: str | None = None,
    threads: int | None = None,
    device: str = "cpu",
    labels: str | None = None,
    template: str | None = None,
    engine_option: list[str] | None = None,
    calibration: str | None = None,
    **named: Any,
) -> LoadOptions:
    """The CLI's load options as :class:`~earmark.options.LoadOptions` (``--engine-option KEY=VALUE`` and
    the named engine flags merged; a value that reads as JSON is taken as such: ``week=20`` is a number)."""
    extra: dict[str, Any] = {}
    for pair in engine_option or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"--engine-option {pair!r} is not KEY=VALUE (e.g. --engine-option sensitivity=1.25)")
        try:
            extra[key.strip()] = json.loads(value)
        except ValueError:
            extra[key.strip()] = value
    for name, value in named.items():
        if value is not None:
            extra[name] = str(value) if isinstance(value, Path) else value
    return LoadOptions(
        labels=labels,
        template=template,
        engine=engine or AUTO,
        compute_type=compute_type,
        device=device,
        threads=threads,
        calibration=calibration,
        engine_options=extra,
    )


def model_ref(model: str | None, task: str | None) -> ModelRef:
    """The one reference a command loads: ``--model`` or ``--task`` (not both), tasks checked, parsed
    by :func:`earmark.registry.parse_ref`."""
    import difflib

    from ..registry import parse_ref
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
    return parse_ref(model if model is not None else task)


def load_model(ref: str | ModelRef, options: LoadOptions) -> Any:
    """``earmark.load`` of a reference as the CLI gives it (``MODEL@onnx-int8`` included)."""
    from ..registry import load_ref

    return load_ref(ref, options)
