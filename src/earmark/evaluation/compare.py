"""Several models on the same clips: one evaluation each, best first.

Each model is loaded once by the caller. A zero-shot model without labels is bound to the dataset's
own label names (normalised), so CLAP competes with fixed-label models on the same clips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..classifier import Classifier
from ..errors import OptionError
from ..io.labelled import LabelledClip
from .metrics import EvaluationReport, evaluate, match_labels, normalize_label

__all__ = ["METRICS", "Compared", "compare", "keep_model_labels"]

METRICS = ("accuracy", "macro_f1", "top5_accuracy", "clips_per_s")


@dataclass(frozen=True)
class Compared:
    """One model's evaluation and the size of its weights (None where the engine does not know it)."""

    report: EvaluationReport
    size_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        return self.report.to_dict() | {"size_bytes": self.size_bytes}


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
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Compared]:
    """Evaluate each classifier on ``clips``; sorted by ``sort`` (one of :data:`METRICS`), best first.
    ``progress(model_name, done, total)`` is called as clips finish."""
    if sort not in METRICS:
        raise OptionError(f"sort={sort!r} is not allowed; use one of {', '.join(METRICS)}")
    dataset_labels = sorted({c.label for c in clips})
    rows = []
    for classifier in classifiers:
        mapping = None
        if not classifier.labels_bound:  # zero-shot: the dataset's own label names are the candidates
            prompts = [normalize_label(label) for label in dataset_labels]
            classifier = classifier.with_labels(prompts, template)
            mapping = dict(zip(prompts, dataset_labels))
        name = classifier.name
        report = evaluate(
            classifier,
            clips,
            data=data,
            label_map=mapping,
            progress=(lambda done, total, name=name: progress(name, done, total)) if progress else None,
        )
        rows.append(Compared(report, classifier.size_bytes))
    return sorted(rows, key=lambda row: getattr(row.report, sort), reverse=True)
