"""Run a classifier over labelled clips and report accuracy, macro-F1, per-class scores, top-5
accuracy, a confusion matrix and speed. Metrics come from scikit-learn, plots from matplotlib.

Model labels are matched to dataset labels by a normalised form (case, ``_``/``-``/spaces, a leading
``"001 - "``), then by an explicit map; what cannot be matched is reported, never dropped.
A run can be resumed: finished clips are appended to a JSONL cache as they complete.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..classifier import Classifier
from ..errors import AudioError, missing_extra
from ..io.clips import LabelledClip
from ..journal import Journal
from ..results import Failure

__all__ = ["EvaluationReport", "evaluate", "match_labels", "normalize_label"]

OTHER = "(other)"  # a prediction that is none of the dataset's labels
TOP_K = 5

logger = logging.getLogger("earmark")


def normalize_label(text: str) -> str:
    """``"001 - Dog bark"``, ``"dog_bark"`` and ``"Dog-Bark"`` all become ``"dog bark"``."""
    text = re.sub(r"^\d+\s*-\s*", "", text.strip().lower())
    return re.sub(r"[\s_\-]+", " ", text).strip()


def match_labels(
    model_labels: Sequence[str], dataset_labels: Sequence[str], explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Model label -> dataset label, by ``explicit`` first, then by normalised equality."""
    by_form = {normalize_label(d): d for d in dataset_labels}
    mapping = {m: d for m, d in (explicit or {}).items() if d in dataset_labels}
    for label in model_labels:
        if label not in mapping and normalize_label(label) in by_form:
            mapping[label] = by_form[normalize_label(label)]
    return mapping


@dataclass(frozen=True)
class EvaluationReport:
    model: str
    data: str
    clips: int
    accuracy: float
    macro_f1: float
    top5_accuracy: float
    per_class: dict[str, dict[str, float]]
    labels: tuple[str, ...]
    confusion: list[list[int]]
    unmatched_dataset_labels: tuple[str, ...]
    seconds_per_clip: float
    clips_per_s: float
    engine: str = ""
    compute_type: str = ""
    failed_clips: int = 0
    """Clips that could not be decoded or classified: not in ``clips`` or any metric."""
    failed: tuple[Failure, ...] = ()
    """Each failed clip (its ``source`` is the clip's key)."""
    thresholds: str | None = None
    """Which thresholds applied (a calibration's per-class ones, or none): a clip whose labels all
    fall below them counts as predicted ``(other)``."""
    events: dict[str, Any] | None = None
    """Event-level evaluation of long recordings (``evaluate_events``): precision, recall, F1, per class."""

    def to_dict(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "failed": [f.to_dict() for f in self.failed]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def evaluate(
    classifier: Classifier,
    clips: Sequence[LabelledClip],
    *,
    data: str = "",
    label_map: Mapping[str, str] | None = None,
    cache: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 8,
) -> EvaluationReport:
    """Evaluate ``classifier`` on ``clips``. A clip that cannot be decoded or classified is recorded in
    the report's ``failed`` list and the run goes on; accuracy is over the clips that were scored.
    With ``cache``, finished clips are kept in a resume journal bound to the model and settings."""
    _warn_if_trained_on(classifier, clips)
    settings = {"model": classifier.identity, "top_k": TOP_K, "task": "evaluate"}
    if classifier.calibration is not None:  # its thresholds change the results
        settings["calibration"] = {k: v for k, v in classifier.calibration.to_dict().items() if k != "details"}
    journal = Journal(cache, settings) if cache else None
    done = journal.read() if journal else {}
    todo = [c for c in clips if c.key not in done]
    last = time.perf_counter()
    try:
        results = classifier.iter_classify(todo, top_k=TOP_K, batch_size=batch_size, errors="yield")
        for clip, result in zip(todo, results):
            now = time.perf_counter()
            if isinstance(result, Failure):
                row = {"key": clip.key, "error": result.error, "type": result.error_type}
            else:
                row = {"key": clip.key, "top": [s.label for s in result.scores], "seconds": now - last}
            last = now
            done[clip.key] = row
            if journal:
                journal.append(row)
            if progress:
                progress(len(done), len(clips))
    finally:
        if journal:
            journal.close()
    return _report(classifier, clips, done, data, label_map, thresholds=classifier.thresholds_note())


def _warn_if_trained_on(classifier: Classifier, clips: Sequence[LabelledClip]) -> None:
    """A model trained by earmark knows its training clips: scoring it on them flatters it."""
    training = Path(classifier.name) / "training.json"
    if not training.is_file():
        return
    try:
        seen = set(json.loads(training.read_text()).get("trained_on") or ())
    except (OSError, ValueError):
        return
    overlap = sum(1 for c in clips if (str(Path(c.source).resolve()) if Path(c.source).exists() else c.key) in seen)
    if overlap:
        logger.warning(
            "%d of %d clips were used to train %s: its scores on them are not a fair estimate",
            overlap,
            len(clips),
            classifier.name,
        )


def _report(classifier, clips, done, data, label_map, *, thresholds: str | None = None) -> EvaluationReport:
    try:
        from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
    except ImportError as e:
        raise missing_extra("scikit-learn", "eval", "evaluation") from e
    labels = sorted({c.label for c in clips})
    mapping = match_labels(classifier.labels, labels, label_map)
    codes = classifier.label_codes
    if codes:  # datasets often name languages by code ("de"), models by name ("German")
        by_code = match_labels(codes, labels)
        mapping |= {label: by_code[code] for label, code in zip(classifier.labels, codes) if code in by_code}
    failed = tuple(Failure(c.key, done[c.key]["error"], done[c.key]["type"]) for c in clips if "error" in done[c.key])
    clips = [c for c in clips if "error" not in done[c.key]]  # metrics are over the clips that were scored
    if not clips:
        raise AudioError(f"none of the {len(failed)} clips could be classified; first error: {failed[0].error}")
    truth = [c.label for c in clips]
    tops = [[mapping.get(label, OTHER) for label in done[c.key]["top"]] for c in clips]
    predicted = [top[0] if top else OTHER for top in tops]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    seconds = sum(done[c.key]["seconds"] for c in clips)
    return EvaluationReport(
        model=classifier.name,
        engine=classifier.engine,
        compute_type=classifier.compute_type,
        data=data,
        clips=len(clips),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)),
        top5_accuracy=sum(t in top for t, top in zip(truth, tops)) / len(clips),
        per_class={
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        labels=(*labels, OTHER),
        confusion=confusion_matrix(truth, predicted, labels=[*labels, OTHER]).tolist(),
        unmatched_dataset_labels=tuple(label for label in labels if label not in mapping.values()),
        seconds_per_clip=seconds / len(clips),
        clips_per_s=len(clips) / seconds if seconds else 0.0,
        failed_clips=len(failed),
        failed=failed,
        thresholds=thresholds,
    )
