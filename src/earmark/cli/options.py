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
TemplateOption = Annotated[Optional[str], typer.Option(help="Zero-shot prompt with {} for the label.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PlotOption = Annotated[Optional[Path], typer.Option(help="Write a PNG picture here.")]
LicenceOption = Annotated[
    Optional[str], typer.Option(help="Licence of the training data, for the model card (default: found in DATA).")
]
