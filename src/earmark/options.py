"""Options, validated once when they are made: how to load a model (:class:`LoadOptions`) and how
to classify with it (:class:`ClassifyOptions`)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .errors import OptionError

__all__ = [
    "AUTO",
    "DEFAULT_TEMPLATE",
    "ClassifyOptions",
    "check_device_present",
    "LoadOptions",
    "device_kind",
    "replace_fields",
    "split_labels",
]

AUTO = "auto"
DEFAULT_TEMPLATE = "This is a sound of {}."
"""The zero-shot prompt, ``{}`` standing for the label."""
_Options = TypeVar("_Options")


def split_labels(labels: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The one reading of a label list: ``"dog, cat"`` (comma-separated text, as the CLI, query
    strings and ``earmark.load`` take it) or a sequence of labels -> ``("dog", "cat")``, each stripped
    (an empty one is kept, for the model to refuse by name)."""
    if labels is None:
        return None
    parts = labels.split(",") if isinstance(labels, str) else [str(x) for x in labels]
    return tuple(x.strip() for x in parts)


def replace_fields(options: _Options, **changes: Any) -> _Options:
    """A copy of a frozen options object with some fields changed; unknown names raise :class:`OptionError`."""
    known = {f.name for f in dataclasses.fields(options)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise OptionError(f"unknown option(s) {unknown}; allowed: {sorted(known)}")
    return dataclasses.replace(options, **changes) if changes else options


def device_kind(device: str) -> str:
    """``cpu``, ``cuda`` (for ``cuda`` and ``cuda:N``) or ``mps``; anything else is an :class:`OptionError`."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|mps|cuda(:\d+)?", device):
        raise OptionError(f"device={device!r} is not allowed; use cpu, cuda, cuda:N or mps")
    return device.partition(":")[0]


def check_device_present(device: str) -> None:
    """A GPU that torch can see; a missing one is an error, never a silent CPU run."""
    import torch

    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise OptionError(f"device={device!r}: this machine has {count} CUDA GPU(s) visible to torch; use cpu")
    elif not torch.backends.mps.is_available():
        raise OptionError("device='mps': Apple's Metal backend is not available here; use cpu")


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model. ``earmark.load`` checks it against the chosen engine's contract before the
    engine's loader runs, so a loader receives only what its engine honours, with ``compute_type``
    filled in (the engine's default when none was asked for) and ``runtime`` naming what it runs on."""

    labels: tuple[str, ...] | None = None
    """Free-text labels bound to a zero-shot (CLAP) model."""
    template: str | None = None
    """Zero-shot prompt with ``{}`` for the label."""
    engine: str = AUTO
    """An engine's name from :func:`earmark.registry.engines`, or ``auto``: the first engine that claims the model."""
    compute_type: str | None = None
    """Numeric precision (``float32``, ``int8``); None: the engine's default. An engine that cannot run
    it refuses it (CTranslate2 and ONNX Runtime take ``int8``)."""
    device: str = "cpu"
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps``, for the engines that can use one (transformers)."""
    revision: str | None = None
    """Hub revision (branch, tag or commit)."""
    trust_remote_code: bool = False
    """Run a Hub model's own code; only for models you trust."""
    threads: int | None = None
    """CPU threads, for engines that set them (default: the engine's own, usually the physical cores)."""
    calibration: str | None = None
    """Per-class thresholds and score maps (:mod:`earmark.calibration`): a ``calibration.json`` file,
    or ``none``; None: the model folder's own ``calibration.json`` if it has one. Applied by ``load``
    to whatever engine loads the model."""
    engine_options: tuple[tuple[str, Any], ...] = ()
    """Settings only one engine has (BirdNET: ``sensitivity``, ``lat``/``lon``/``week``...), as pairs."""
    runtime: str | None = None
    """Set by ``earmark.load``: the runtime the chosen engine runs on (a trained head's encoder: ``transformers``
    or ``onnx``); loaders read it instead of comparing engine names."""

    def __post_init__(self) -> None:
        device_kind(self.device)
        object.__setattr__(self, "labels", split_labels(self.labels))
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise OptionError(f"threads={self.threads!r} is not allowed; use a whole number >= 1, or None")
        pairs = dict(self.engine_options)  # pairs or a mapping
        object.__setattr__(self, "engine_options", tuple(sorted((k, v) for k, v in pairs.items() if v is not None)))

    @property
    def zero_shot(self) -> bool:
        return self.labels is not None or self.template is not None

    def option(self, name: str, default: Any = None) -> Any:
        """One engine option's value (``default`` when it was not given)."""
        return dict(self.engine_options).get(name, default)

    def replace(self, **changes: Any) -> LoadOptions:
        """A copy with some fields changed; unknown names raise :class:`OptionError`."""
        return replace_fields(self, **changes)


ACTIVATIONS = ("softmax", "sigmoid", "none")
POOLINGS = ("mean", "max", "vote")


@dataclass(frozen=True)
class ClassifyOptions:
    """How a classifier turns model outputs into a :class:`~earmark.Prediction`."""

    top_k: int | None = 5
    """How many labels to return, best first; clamped to the model's label count. None returns all."""
    function_to_apply: Literal["softmax", "sigmoid", "none"] | None = None
    """Scores from logits; None picks sigmoid for multi-label models and softmax otherwise."""
    threshold: float | None = None
    """Drop labels scoring below this (after ``function_to_apply``); given, it replaces a calibrated
    model's per-class thresholds."""
    calibrated: bool = True
    """Apply the model's calibration (``calibration.json``: score maps and per-class thresholds);
    False: its raw scores."""
    include: tuple[str, ...] | None = None
    """Only these labels may appear in results (an allow list); scores are not renormalised."""
    exclude: tuple[str, ...] = ()
    """These labels never appear in results (a deny list)."""
    restrict: tuple[str, ...] | None = None
    """The candidate set: scores are computed over just these labels (softmax renormalised over them)."""
    abstain_below: float | None = None
    """When the best overall score is below this, the answer is ``unknown`` (scored 1 - best)."""
    window_s: float | None = None
    """Classify in windows of this length; None uses the model's own window, and only when the input is longer."""
    hop_s: float | None = None
    """Step between window starts; None means ``window_s`` (no overlap)."""
    pooling: Literal["mean", "max", "vote"] = "mean"
    """How window scores pool into the overall prediction; ``vote`` weights each window by its
    confidence (best score) and length."""
    merge: bool = True
    """Merge adjacent timeline segments that share their top label."""
    batch_size: int = 8
    """How many inputs or windows go through the model at once, at most."""
    batch_s: float = 20.0
    """At most this many seconds of audio per model call: on a CPU, large batches of long clips run
    slower per clip than small ones (wav2vec2-base, 10 s clips: 1.20 s/clip in batches of 8, 1.05 in 2)."""
    readahead: int = 2
    """Threads decoding and resampling upcoming inputs while the model runs (0: decode in turn)."""
    sample_rates: tuple[int, int] = (1000, 768000)
    """Sample rates (Hz) an input may have; a header claiming 1 Hz or 10 MHz is refused."""
    max_peak: float = 2.0
    """Float samples may reach this (a little headroom over full scale); further out is refused."""
    rescale: bool = False
    """Divide an input whose peak is over ``max_peak`` by its peak instead of refusing it."""

    def __post_init__(self) -> None:
        if self.top_k is not None and (not isinstance(self.top_k, int) or self.top_k < 1):
            raise OptionError(f"top_k={self.top_k!r} is not allowed; use a whole number >= 1, or None for all labels")
        if self.function_to_apply is not None and self.function_to_apply not in ACTIVATIONS:
            raise OptionError(f"function_to_apply={self.function_to_apply!r} is not allowed; use one of {ACTIVATIONS}")
        if self.pooling not in POOLINGS:
            raise OptionError(f"pooling={self.pooling!r} is not allowed; use one of {POOLINGS}")
        for name in ("window_s", "hop_s"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise OptionError(f"{name}={value!r} is not allowed; use a positive number of seconds")
        if self.abstain_below is not None and not 0 <= self.abstain_below <= 1:
            raise OptionError(f"abstain_below={self.abstain_below!r} is not allowed; use a score between 0 and 1")
        if self.hop_s is not None and self.window_s is None:
            raise OptionError("hop_s was given without window_s; set window_s too")
        if self.hop_s is not None and self.window_s is not None and self.hop_s > self.window_s:
            raise OptionError(f"hop_s={self.hop_s} is longer than window_s={self.window_s}; it must be <= window_s")
        if not (isinstance(self.batch_s, (int, float)) and self.batch_s > 0):
            raise OptionError(f"batch_s={self.batch_s!r} is not allowed; use a positive number of seconds")
        if not isinstance(self.readahead, int) or self.readahead < 0:
            raise OptionError(f"readahead={self.readahead!r} is not allowed; use a whole number >= 0")
        low, high = self.sample_rates
        if not 0 < low <= high:
            raise OptionError(
                f"sample_rates={self.sample_rates!r} is not allowed; use (low, high) Hz with 0 < low <= high"
            )
        if not self.max_peak > 0:
            raise OptionError(f"max_peak={self.max_peak!r} is not allowed; use a positive number")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise OptionError(f"batch_size={self.batch_size!r} is not allowed; use a whole number >= 1")
        for name in ("include", "exclude", "restrict"):
            value = getattr(self, name)
            if isinstance(value, str):  # a bare string would be split into characters
                object.__setattr__(self, name, (value,))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))

    def replace(self, **changes: Any) -> ClassifyOptions:
        """A copy with some fields changed; unknown names raise :class:`OptionError`."""
        return replace_fields(self, **changes)
