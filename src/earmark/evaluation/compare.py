"""Several models on the same clips: one evaluation each, best first.

Each model is loaded once by the caller. A zero-shot model without labels is bound to the dataset's
own label names (normalised), so CLAP competes with fixed-label models on the same clips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..calibration import Target
from ..classifier import Classifier
from ..errors import OptionError
from ..io.labelled import LabelledClip
from .metrics import EvaluationReport, evaluate, match_labels, normalize_label

__all__ = [
    "METRICS",
    "Compared",
    "OperatingPoint",
    "bind_dataset_labels",
    "compare",
    "journal_name",
    "keep_model_labels",
]

METRICS = ("accuracy", "macro_f1", "top5_accuracy", "clips_per_s")


@dataclass(frozen=True)
class OperatingPoint:
    """A model where it would run: each class's threshold for the target on these clips and what it
    reaches there (recall at a precision target; misses at a false-accept target)."""

    target: str
    recall: float | None
    """Mean recall over the classes that reach the target (None when none does)."""
    classes: int
    """Classes with enough examples that reach the target."""
    refused: int
    """Classes with too few examples, or whose target no threshold reaches."""
    per_class: dict[str, float | None]
    fa_per_hour: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in ("target", "recall", "classes", "refused", "per_class", "fa_per_hour")}

    @classmethod
    def of(cls, calibration: Any) -> OperatingPoint:
        chosen = [c for c in calibration.classes if c.threshold is not None]
        recalls = [c.recall for c in chosen if c.recall is not None]
        fa = [c.fa_per_hour for c in chosen if c.fa_per_hour is not None]
        return cls(
            str(calibration.target),
            float(sum(recalls) / len(recalls)) if recalls else None,
            len(chosen),
            len(calibration.classes) - len(chosen),
            {c.label: c.recall for c in calibration.classes},
            float(sum(fa) / len(fa)) if fa else None,
        )


@dataclass(frozen=True)
class Compared:
    """One model's evaluation and the size of its weights (None where the engine does not know it),
    and with ``at`` its operating point."""

    report: EvaluationReport
    size_bytes: int | None
    at: OperatingPoint | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict() | {"size_bytes": self.size_bytes}
        return out | ({"at": self.at.to_dict()} if self.at else {})


def keep_model_labels(classifiers: Sequence[Classifier], clips: Sequence[LabelledClip]) -> list[LabelledClip]:
    """Only the clips whose label every fixed-label model has (zero-shot models take any label)."""
    kept = list(clips)
    for classifier in classifiers:
        if classifier.labels_bound:
            known = set(match_labels(classifier.labels, sorted({c.label for c in kept})).values())
            kept = [c for c in kept if c.label in known]
    return kept


def compare(
    classifiers: Sequence[Classifier],
    clips: Sequence[LabelledClip],
    *,
    data: str = "",
    template: str | None = None,
    sort: str = "accuracy",
    label_map: Mapping[str, str] | None = None,
    resume: str | Path | None = None,
    batch_size: int = 8,
    progress: Callable[[str, int, int], None] | None = None,
    at: Target | None = None,
    min_examples: int = 10,
    negatives: Sequence[str] = (),
) -> list[Compared]:
    """Evaluate each classifier on ``clips``; sorted by ``sort`` (one of :data:`METRICS`), best first.
    ``label_map`` (model label -> dataset label) applies to the fixed-label models; ``resume`` is a
    folder holding one resume journal per model; ``progress(model_name, done, total)`` is called as
    clips finish. With ``at`` (``precision=0.95``, or ``fa-per-hour=0.5`` with ``negatives``) each
    model also gets its :class:`OperatingPoint`, and the models are sorted by recall there."""
    if sort not in METRICS:
        raise OptionError(f"sort={sort!r} is not allowed; use one of {', '.join(METRICS)}")
    dataset_labels = sorted({c.label for c in clips})
    if resume:
        Path(resume).mkdir(parents=True, exist_ok=True)
    rows = []
    for index, classifier in enumerate(classifiers):
        mapping = label_map
        if not classifier.labels_bound:
            classifier, mapping = bind_dataset_labels(classifier, dataset_labels, template)
        name = classifier.name
        report = evaluate(
            classifier,
            clips,
            data=data,
            label_map=mapping,
            cache=Path(resume) / journal_name(index, classifier) if resume else None,
            batch_size=batch_size,
            progress=(lambda done, total, name=name: progress(name, done, total)) if progress else None,
        )
        point = _operating_point(classifier, clips, at, mapping, min_examples, negatives, batch_size) if at else None
        rows.append(Compared(report, classifier.size_bytes, point))
    if at is not None:
        return sorted(rows, key=lambda row: -1.0 if row.at.recall is None else row.at.recall, reverse=True)
    return sorted(rows, key=lambda row: getattr(row.report, sort), reverse=True)


def _operating_point(
    classifier: Classifier,
    clips: Sequence[LabelledClip],
    target: Target,
    label_map: Mapping[str, str] | None,
    min_examples: int,
    negatives: Sequence[str],
    batch_size: int,
) -> OperatingPoint:
    if target.kind == "fa-per-hour":
        from ..streaming.listener import StreamOptions
        from .detection import calibrate_streams

        if not negatives:
            raise OptionError(f"--at {target} needs --negatives: hours of audio without the words")
        calibration = calibrate_streams(
            [classifier.name],
            clips,
            negatives,
            target,
            StreamOptions(vad_threshold=0.5),
            label_map=dict(label_map or {}),
            min_examples=min_examples,
        )
    else:
        from .calibrate import calibrate, score_table

        table = score_table(classifier, clips, label_map=label_map, batch_size=batch_size)
        if all(t is None for t in table.truth):  # none of its labels is in the data
            return OperatingPoint(str(target), None, 0, 0, {})
        # a point of each class's curve on these clips (no confidence margin): models compared alike
        calibration = calibrate(table, target, min_examples=min_examples, confidence=0.0, model=classifier.name)
    return OperatingPoint.of(calibration)


def bind_dataset_labels(
    classifier: Classifier, dataset_labels: Sequence[str], template: str | None = None
) -> tuple[Classifier, dict[str, str]]:
    """A zero-shot model bound to a dataset's own label names (normalised into prompts), and the map
    from each prompt back to its dataset label."""
    prompts = [normalize_label(label) for label in dataset_labels]
    return classifier.with_labels(prompts, template), dict(zip(prompts, dataset_labels))


def journal_name(index: int, classifier: Classifier) -> str:
    """The file name of a model's resume journal in a ``compare`` resume folder (its place and name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{classifier.name}-{classifier.engine}-{classifier.compute_type}")
    return f"{index + 1:02d}-{safe[-80:]}.jsonl"
