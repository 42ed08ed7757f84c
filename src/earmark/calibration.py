"""Per-class thresholds and calibrated scores, as a model applies them.

A :class:`Calibration` is what ``earmark calibrate`` writes (``calibration.json``): the target it was
chosen for (``precision=0.95``, ``recall=0.9`` or ``fa-per-hour=0.5``), one :class:`ClassThreshold`
per class - the threshold, what it reaches on the calibration data and a bootstrap 95 % interval, or
the reason it was refused - and optionally one :class:`ScoreMap` per class (Platt or isotonic) that
turns the model's scores into probabilities. Fitting lives in :mod:`earmark.evaluation.calibrate`
(scikit-learn); applying needs NumPy only.

A model folder holding ``calibration.json`` is calibrated when loaded; ``earmark.load(M,
calibration="file.json")`` (``--calibration FILE``) takes one from anywhere, ``calibration="none"``
turns it off. An explicit ``threshold`` replaces the per-class thresholds (the score maps still apply).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import OptionError

__all__ = [
    "FILE_NAME",
    "METHODS",
    "TARGET_KINDS",
    "Calibration",
    "ClassThreshold",
    "ScoreMap",
    "Target",
    "find_calibration",
    "thresholds_note",
]

FILE_NAME = "calibration.json"
TARGET_KINDS = ("precision", "recall", "fa-per-hour")
METHODS = ("none", "platt", "isotonic")
OFF = "none"  # --calibration none: the model's raw scores and no per-class thresholds


@dataclass(frozen=True)
class Target:
    """What a threshold must reach: ``precision=0.95``, ``recall=0.9`` or ``fa-per-hour=0.5``."""

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise OptionError(f"target {self.kind!r} is not allowed; use one of {', '.join(TARGET_KINDS)}")
        ok = self.value > 0 if self.kind == "fa-per-hour" else 0 < self.value < 1
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value) and ok):
            allowed = "a positive number per hour" if self.kind == "fa-per-hour" else "a number between 0 and 1"
            raise OptionError(f"target {self.kind}={self.value!r} is not allowed; use {allowed}")

    @classmethod
    def parse(cls, text: str) -> Target:
        """``"precision=0.95"`` -> ``Target("precision", 0.95)``."""
        kind, sep, value = str(text).partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None:
            raise OptionError(f"target {text!r} is not KIND=VALUE; use precision=0.95, recall=0.9 or fa-per-hour=0.5")
        return cls(kind.strip().lower(), number)

    def __str__(self) -> str:
        return f"{self.kind}={self.value:g}"


@dataclass(frozen=True)
class ScoreMap:
    """One class's map from model score to calibrated probability: Platt scaling (``sigmoid(a *
    logit(score) + b)``) or isotonic regression (piecewise linear through ``xs``, ``ys``)."""

    method: str
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        s = np.asarray(scores, np.float64)
        if self.method == "isotonic":
            return np.interp(s, self.xs, self.ys)
        z = np.log(np.clip(s, 1e-7, 1 - 1e-7)) - np.log1p(-np.clip(s, 1e-7, 1 - 1e-7))
        return 1.0 / (1.0 + np.exp(-(self.a * z + self.b)))

    def to_dict(self) -> dict[str, Any]:
        if self.method == "isotonic":
            return {"method": self.method, "x": list(self.xs), "y": list(self.ys)}
        return {"method": self.method, "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> ScoreMap:
        if row.get("method") == "isotonic":
            return cls("isotonic", xs=tuple(map(float, row["x"])), ys=tuple(map(float, row["y"])))
        if row.get("method") == "platt":
            return cls("platt", a=float(row["a"]), b=float(row["b"]))
        raise OptionError(f"score map method {row.get('method')!r} is not allowed; use platt or isotonic")


@dataclass(frozen=True)
class ClassThreshold:
    """One class's threshold and what it reaches on the calibration data, or why it has none."""

    label: str
    threshold: float | None
    """None: refused (``reason`` says why); the class then has no calibrated threshold."""
    positives: int
    """Calibration examples of the class (clips; for detectors, recordings of the word)."""
    negatives: int
    """Examples of other classes (for detectors, negative recordings streamed)."""
    precision: float | None = None
    recall: float | None = None
    interval: tuple[float, float] | None = None
    """Bootstrap 95 % interval of the targeted measure at the threshold."""
    fa_per_hour: float | None = None
    miss_rate: float | None = None
    miss_interval: tuple[float, float] | None = None
    """Detectors: bootstrap 95 % interval of the miss rate."""
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "label"}
        for name in ("interval", "miss_interval"):
            out[name] = list(out[name]) if out[name] else None
        return out

    @classmethod
    def from_dict(cls, label: str, row: Mapping[str, Any]) -> ClassThreshold:
        known = {f.name for f in fields(cls)} - {"label"}
        values = {k: v for k, v in row.items() if k in known}
        for name in ("interval", "miss_interval"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        return cls(label, **values)


@dataclass(frozen=True)
class Calibration:
    """Per-class thresholds to a target, and optional score maps (see the module docstring)."""

    target: Target
    classes: tuple[ClassThreshold, ...]
    method: str = "none"
    maps: tuple[tuple[str, ScoreMap], ...] = ()
    model: str = ""
    labels: tuple[str, ...] = ()
    """The model's labels, in its output order, when it was calibrated."""
    ece_before: float | None = None
    ece_after: float | None = None
    """Expected calibration error (top label, 15 bins) of the raw and the mapped scores; the mapped
    one cross-validated (maps fitted on 4/5 of the data, measured on the fifth)."""
    data: str = ""
    negatives_hours: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """Curves and details kept in the file for plots and reports (not read back into behaviour)."""
    path: str = field(default="", compare=False)
    """The file it was read from ('' when made in this process)."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise OptionError(f"method={self.method!r} is not allowed; use one of {', '.join(METHODS)}")

    @property
    def thresholds(self) -> dict[str, float]:
        """label -> threshold, for the classes that have one."""
        return {c.label: c.threshold for c in self.classes if c.threshold is not None}

    @property
    def refused(self) -> dict[str, str]:
        """label -> why it has no threshold."""
        return {c.label: c.reason or "refused" for c in self.classes if c.threshold is None}

    def apply(self, scores: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Scores (one vector, or rows) with each mapped class's score through its map."""
        if not self.maps:
            return scores
        out = np.array(scores, np.float64, copy=True)
        column = {label: i for i, label in enumerate(labels)}
        for label, mapping in self.maps:
            if label in column:
                out[..., column[label]] = mapping(out[..., column[label]])
        return out

    def check(self, model_labels: Sequence[str], model: str) -> None:
        """An :class:`OptionError` when the calibration names labels the model does not have."""
        unknown = sorted({c.label for c in self.classes} - set(model_labels))
        if unknown:
            shown = ", ".join(list(model_labels)[:10]) + (", ..." if len(model_labels) > 10 else "")
            raise OptionError(
                f"calibration {self.path or ''} has label(s) {unknown[:10]} that {model!r} does not have "
                f"(it has {shown}); calibrate this model with earmark calibrate"
            )

    def describe(self) -> str:
        """One line: where it came from, its target and how many classes have a threshold."""
        where = self.path or "calibration"
        n, total = len(self.thresholds), len(self.classes)
        mapped = f", {self.method} scores" if self.maps else ""
        return f"per-class thresholds from {where} ({self.target}; {n} of {total} classes{mapped})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": str(self.target),
            "thresholds": self.thresholds,
            "method": self.method,
            "model": self.model,
            "labels": list(self.labels),
            "data": self.data,
            "negatives_hours": self.negatives_hours,
            "ece": {"before": self.ece_before, "after": self.ece_after},
            "classes": {c.label: c.to_dict() for c in self.classes},
            "maps": {label: m.to_dict() for label, m in self.maps},
            **({"details": dict(self.extra)} if self.extra else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def write(self, out: str | os.PathLike) -> Path:
        """Write to ``out``: a ``.json`` file, or ``calibration.json`` inside a model folder."""
        from .atomic import write_atomic

        path = Path(out)
        if path.suffix.lower() != ".json":
            if not path.is_dir():
                raise OptionError(f"--out {str(out)!r}: give a model folder (it exists) or a .json file")
            path = path / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, self.to_json())
        return path

    @classmethod
    def read(cls, path: str | os.PathLike) -> Calibration:
        """Read a calibration file; an :class:`OptionError` naming the file when it is not one."""
        path = Path(path)
        if path.is_dir():
            path = path / FILE_NAME
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            classes = tuple(ClassThreshold.from_dict(k, v) for k, v in row["classes"].items())
            return cls(
                target=Target.parse(row["target"]),
                classes=classes,
                method=row.get("method", "none"),
                maps=tuple((k, ScoreMap.from_dict(v)) for k, v in (row.get("maps") or {}).items()),
                model=row.get("model", ""),
                labels=tuple(row.get("labels") or ()),
                ece_before=(row.get("ece") or {}).get("before"),
                ece_after=(row.get("ece") or {}).get("after"),
                data=row.get("data", ""),
                negatives_hours=row.get("negatives_hours"),
                extra=row.get("details") or {},
                path=str(path),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise OptionError(f"calibration {str(path)!r} is not a readable calibration file ({e})") from e

    def replace(self, **changes: Any) -> Calibration:
        return replace(self, **changes)


def find_calibration(target: str, given: str | None) -> Calibration | None:
    """The calibration a model is loaded with: ``given`` (a file, a folder holding one, or ``none``),
    else ``calibration.json`` in the model's own folder, else None."""
    if given is not None:
        if str(given).strip().lower() == OFF:
            return None
        if not Path(given).exists():
            raise OptionError(f"calibration {str(given)!r} does not exist; give a calibration .json file or 'none'")
        return Calibration.read(given)
    own = Path(target) / FILE_NAME
    return Calibration.read(own) if own.is_file() else None


def thresholds_note(calibration: Calibration | None, threshold: float | None) -> str | None:
    """Which thresholds apply, in one line (None when neither a calibration nor a threshold does)."""
    if threshold is not None and calibration is not None:
        return f"threshold {threshold:g} for every class (given; it overrides {calibration.describe()})"
    if threshold is not None:
        return f"threshold {threshold:g} for every class (given)"
    return calibration.describe() if calibration is not None else None
