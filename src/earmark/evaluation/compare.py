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

from ..classifier import Classifier
from ..errors import OptionError
from ..io.labelled import LabelledClip
from .metrics import EvaluationReport, evaluate, match_labels, normalize_label

__all__ = ["METRICS", "Compared", "bind_dataset_labels", "compare", "journal_name", "keep_model_labels"]

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
    label_map: Mapping[str, str] | None = None,
    resume: str | Path | None = None,
    batch_size: int = 8,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Compared]:
    """Evaluate each classifier on ``clips``; sorted by ``sort`` (one of :data:`METRICS`), best first.
    ``label_map`` (model label -> dataset label) applies to the fixed-label models; ``resume`` is a
    folder holding one resume journal per model; ``progress(model_name, done, total)`` is called as
    clips finish."""
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
        rows.append(Compared(report, classifier.size_bytes))
    return sorted(rows, key=lambda row: getattr(row.report, sort), reverse=True)


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
