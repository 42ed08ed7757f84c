"""Event-level evaluation of long recordings against annotations, with sed_eval's definitions.

- **Event-based** (sed_eval's ``EventBasedMetrics``, its defaults): per class, a detected event
  matches an annotated one when its onset is within ``t_collar`` (0.2 s) of the annotation's and its
  offset within ``max(t_collar, 0.5 * annotation length)``; the pairs are matched one to one so that
  as many as possible match (sed_eval's "optimal" matching, here as an assignment problem). Hits,
  false positives and misses give precision, recall and F1 per class; ``overall`` sums the counts
  over classes (sed_eval's micro average), ``class_wise`` averages the per-class F1.
- **Segment-based** (sed_eval's ``SegmentBasedMetrics``, 1 s segments): a class is active in a
  segment when any event of it overlaps the segment; true/false positives and misses are counted
  per segment and class; the error rate is ``(S + D + I) / N`` with, per segment, substitutions
  ``min(FN, FP)``, deletions ``max(0, FN - FP)`` and insertions ``max(0, FP - FN)``.

Detected events come from scores: each window's scores (:class:`WindowScores`) above a class's
threshold, windows tiled by their hop, joined where they touch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import missing_extra
from ..io.annotations import Annotation
from ..streaming.listener import StreamOptions

__all__ = [
    "SEGMENT_S",
    "T_COLLAR",
    "WindowScores",
    "evaluate_detector",
    "evaluate_events",
    "event_metrics",
    "events_from_scores",
    "score_recordings",
    "segment_metrics",
]

T_COLLAR = 0.2
PERCENTAGE_OF_LENGTH = 0.5
SEGMENT_S = 1.0


@dataclass(frozen=True)
class WindowScores:
    """One recording's window scores: ``scores[i, j]`` for ``labels[j]`` in window ``i``, which starts
    at ``starts[i]`` and (tiled by the hop) ends at ``ends[i]``."""

    path: str
    labels: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    scores: np.ndarray
    duration_s: float


def events_from_scores(windows: WindowScores, thresholds: Mapping[str, float]) -> list[Annotation]:
    """Detected events: runs of windows at or above each class's threshold, joined where they touch."""
    out = []
    for j, label in enumerate(windows.labels):
        if label not in thresholds:
            continue
        on = windows.scores[:, j] >= thresholds[label]
        start = None
        for i in range(len(on)):
            if on[i] and start is None:
                start = windows.starts[i]
            if start is not None and (not on[i] or i == len(on) - 1 or windows.starts[i + 1] > windows.ends[i] + 1e-9):
                end = windows.ends[i] if on[i] else windows.ends[i - 1]
                out.append(Annotation(windows.path, label, float(start), float(end)))
                start = None
    return sorted(out, key=lambda a: (a.start_s, a.label))


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _matches(
    reference: Sequence[Annotation], detected: Sequence[Annotation], t_collar: float, share: float, overlap: bool
) -> int:
    """The most one-to-one matches between events of one class in one recording (by onset/offset
    collars, or with ``overlap`` by any overlap within ``t_collar``)."""
    if not reference or not detected:
        return 0
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as e:
        raise missing_extra("scipy", "eval", "event matching") from e

    ok = np.zeros((len(reference), len(detected)))
    for i, r in enumerate(reference):
        offset_collar = max(t_collar, share * (r.end_s - r.start_s))
        for k, d in enumerate(detected):
            if overlap:
                ok[i, k] = d.start_s <= r.end_s + t_collar and d.end_s >= r.start_s - t_collar
            else:
                ok[i, k] = abs(d.start_s - r.start_s) <= t_collar and abs(d.end_s - r.end_s) <= offset_collar
    rows, cols = linear_sum_assignment(-ok)
    return int(ok[rows, cols].sum())


def event_metrics(
    reference: Mapping[str, Sequence[Annotation]],
    detected: Mapping[str, Sequence[Annotation]],
    labels: Sequence[str],
    *,
    t_collar: float = T_COLLAR,
    percentage_of_length: float = PERCENTAGE_OF_LENGTH,
    overlap: bool = False,
) -> dict[str, object]:
    """Event-based precision, recall and F1 per class and overall (see the module docstring); with
    ``overlap`` (detectors, whose events say when a word was heard, not its exact extent) an event
    matches an annotation it overlaps, within ``t_collar``."""
    per_class = {}
    for label in labels:
        tp = fp = fn = 0
        for path in reference.keys() | detected.keys():
            ref = [a for a in reference.get(path, ()) if a.label == label]
            est = [a for a in detected.get(path, ()) if a.label == label]
            hits = _matches(ref, est, t_collar, percentage_of_length, overlap)
            tp, fp, fn = tp + hits, fp + len(est) - hits, fn + len(ref) - hits
        per_class[label] = _prf(tp, fp, fn)
    overall = _prf(*(sum(int(c[k]) for c in per_class.values()) for k in ("tp", "fp", "fn")))
    scored = [c["f1"] for c in per_class.values() if c["tp"] + c["fn"]]
    return {
        **{k: overall[k] for k in ("precision", "recall", "f1")},
        "class_wise_f1": float(np.mean(scored)) if scored else 0.0,
        "counts": {k: overall[k] for k in ("tp", "fp", "fn")},
        "per_class": per_class,
        "t_collar": t_collar,
        **({"matching": "overlap"} if overlap else {"percentage_of_length": percentage_of_length}),
    }


def segment_metrics(
    reference: Mapping[str, Sequence[Annotation]],
    detected: Mapping[str, Sequence[Annotation]],
    labels: Sequence[str],
    durations: Mapping[str, float],
    *,
    segment_s: float = SEGMENT_S,
) -> dict[str, object]:
    """Segment-based precision, recall, F1 and error rate at ``segment_s`` (see the module docstring)."""
    column = {label: j for j, label in enumerate(labels)}
    tp = np.zeros(len(labels), int)
    fp, fn = tp.copy(), tp.copy()
    substitutions = deletions = insertions = active = 0
    for path, duration in durations.items():
        count = max(1, math.ceil(duration / segment_s - 1e-9))
        ref, est = (_activity(events.get(path, ()), column, count, segment_s) for events in (reference, detected))
        tp += (ref & est).sum(axis=0)
        fp += (~ref & est).sum(axis=0)
        fn += (ref & ~est).sum(axis=0)
        seg_fn, seg_fp = (ref & ~est).sum(axis=1), (~ref & est).sum(axis=1)
        substitutions += int(np.minimum(seg_fn, seg_fp).sum())
        deletions += int(np.maximum(0, seg_fn - seg_fp).sum())
        insertions += int(np.maximum(0, seg_fp - seg_fn).sum())
        active += int(ref.sum())
    per_class = {label: _prf(int(tp[j]), int(fp[j]), int(fn[j])) for label, j in column.items()}
    overall = _prf(int(tp.sum()), int(fp.sum()), int(fn.sum()))
    return {
        **{k: overall[k] for k in ("precision", "recall", "f1")},
        "error_rate": (substitutions + deletions + insertions) / active if active else 0.0,
        "substitutions": substitutions,
        "deletions": deletions,
        "insertions": insertions,
        "per_class": per_class,
        "segment_s": segment_s,
    }


def _activity(events: Sequence[Annotation], column: Mapping[str, int], count: int, segment_s: float) -> np.ndarray:
    on = np.zeros((count, len(column)), bool)
    for e in events:
        if e.label in column and e.end_s >= e.start_s:  # a point event marks its segment, as in sed_eval
            first = int(e.start_s // segment_s)
            last = min(count - 1, max(first, math.ceil(e.end_s / segment_s) - 1))
            on[first : last + 1, column[e.label]] = True
    return on


def score_recordings(
    classifier: Any, paths: Sequence[str], *, window_s: float | None = None, hop_s: float | None = None
) -> list[WindowScores]:
    """Every window's scores (a calibrated model's maps applied, no threshold) of each recording,
    streamed as ``classify`` streams a long file; windows tiled by their hop."""
    labels = tuple(classifier.labels)
    column = {label: j for j, label in enumerate(labels)}
    rows: dict[str, list[Any]] = {p: [] for p in paths}
    opts = classifier.default_options.replace(
        top_k=None, threshold=0.0, merge=False, abstain_below=None, window_s=window_s, hop_s=hop_s
    )
    out = []
    predictions = classifier.iter_classify(
        list(paths), opts, on_segment=lambda source, segment: rows[str(source)].append(segment), keep_timeline=False
    )
    for path, prediction in zip(paths, predictions):
        segments = rows.pop(path, None) or rows.pop(str(getattr(prediction, "source", path)), [])
        scores = np.zeros((len(segments), len(labels)), np.float32)
        for i, segment in enumerate(segments):
            for s in segment.scores:
                if s.label in column:
                    scores[i, column[s.label]] = s.score
        starts = np.array([s.start_s for s in segments])
        ends = np.array([s.end_s for s in segments])
        if len(starts) > 1:
            ends[:-1] = np.minimum(ends[:-1], starts[1:])
        out.append(WindowScores(path, labels, starts, ends, scores, float(prediction.duration_s or 0.0)))
    return out


def evaluate_events(
    classifier: Any,
    paths: Sequence[str],
    annotations: Mapping[str, Sequence[Annotation]],
    *,
    thresholds: Mapping[str, float] | float = 0.5,
    window_s: float | None = None,
    hop_s: float | None = None,
    label_map: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Event- and segment-based metrics of a classifier's detections (each class's threshold, or one
    for all) on annotated recordings, and each class's event-based PR curve over thresholds."""
    from .metrics import match_labels

    windows = score_recordings(classifier, paths, window_s=window_s, hop_s=hop_s)
    wanted = sorted({a.label for rows in annotations.values() for a in rows})
    to_dataset = match_labels(classifier.labels, wanted, label_map)
    labels = sorted(to_dataset)
    if isinstance(thresholds, (int, float)):
        thresholds = dict.fromkeys(labels, float(thresholds))
    reference = {p: list(annotations.get(p, ())) for p in paths}

    def detected_at(chosen: Mapping[str, float]) -> dict[str, list[Annotation]]:
        return {
            w.path: [Annotation(e.path, to_dataset[e.label], e.start_s, e.end_s) for e in events_from_scores(w, chosen)]
            for w in windows
        }

    detected = detected_at({k: v for k, v in thresholds.items() if k in to_dataset})
    names = [to_dataset[label] for label in labels]
    durations = {w.path: w.duration_s for w in windows}
    curves = {}
    for label in labels:
        points = []
        for t in np.round(np.linspace(0.05, 0.95, 19), 2):
            m = event_metrics(reference, detected_at({label: float(t)}), [to_dataset[label]])["per_class"]
            row = m[to_dataset[label]]
            points.append({"threshold": float(t), "precision": row["precision"], "recall": row["recall"]})
        curves[to_dataset[label]] = points
    return {
        **event_metrics(reference, detected, names),
        "segments": segment_metrics(reference, detected, names, durations),
        "thresholds": {to_dataset[k]: v for k, v in thresholds.items() if k in to_dataset},
        "unmatched_labels": [label for label in wanted if label not in names],
        "recordings": len(paths),
        "hours": sum(durations.values()) / 3600,
        "pr_curves": curves,
        "detected": {p: [e.__dict__ for e in rows] for p, rows in detected.items()},
    }


def evaluate_detector(
    models: Sequence[str],
    paths: Sequence[str],
    annotations: dict[str, list[Any]],
    options: StreamOptions,
    *,
    load_options: Any = None,
    label_map: dict[str, str] | None = None,
    t_collar: float = 0.2,
) -> dict[str, Any]:
    """A detector on annotated recordings, streamed as ``listen`` streams them: at the threshold it
    runs at (its calibration's, the given one, or its own default), events matched to annotations
    of their label that they overlap (within ``t_collar``); and the DET curve over thresholds -
    misses against false accepts (events matching nothing) per hour of recording."""
    from ..io.streams import file_chunks
    from ..options import LoadOptions
    from ..streaming.models import scorers_for
    from .detection import RecordingListener, replay, thresholds_grid
    from .metrics import match_labels

    scorers = scorers_for(models, options=load_options or LoadOptions())
    listener = RecordingListener(scorers, options)
    wanted = sorted({a.label for rows in annotations.values() for a in rows})
    to_dataset = match_labels(listener.labels, wanted, label_map)
    records = {path: listener.stream(file_chunks(path)) for path in paths}
    hours = sum(r[0].duration_s for r in records.values()) / 3600
    scorer_of = {label: k for k, s in enumerate(scorers) for label in s.labels}
    reference = {p: list(annotations.get(p, ())) for p in paths}

    def detected_at(label: str, threshold: float) -> dict[str, list[Any]]:
        return {
            p: [
                Annotation(p, to_dataset[label], e.start_s, e.end_s)
                for e in replay(rec[scorer_of[label]], label, threshold, options)
            ]
            for p, rec in records.items()
        }

    running = {label: options.threshold_for(label, scorers[scorer_of[label]].thresholds[label]) for label in to_dataset}
    detected: dict[str, list[Any]] = {p: [] for p in paths}
    curves = {}
    for label, threshold in running.items():
        for p, rows in detected_at(label, threshold).items():
            detected[p] += rows
        grid = thresholds_grid()
        points = {"threshold": [], "fa_per_hour": [], "miss_rate": []}
        for t in grid:
            counts = event_metrics(
                reference, detected_at(label, float(t)), [to_dataset[label]], overlap=True, t_collar=t_collar
            )["per_class"][to_dataset[label]]
            points["threshold"].append(float(t))
            points["fa_per_hour"].append(counts["fp"] / hours if hours else math.nan)
            points["miss_rate"].append(counts["fn"] / max(1, counts["tp"] + counts["fn"]))
        curves[to_dataset[label]] = points
    metrics = event_metrics(reference, detected, [to_dataset[k] for k in running], overlap=True, t_collar=t_collar)
    return {
        **metrics,
        "fa_per_hour": metrics["counts"]["fp"] / hours if hours else math.nan,
        "thresholds": {to_dataset[k]: v for k, v in running.items()},
        "det": curves,
        "hours": hours,
        "recordings": len(paths),
        "unmatched_labels": [label for label in wanted if label not in to_dataset.values()],
        "detected": {p: [e.__dict__ for e in rows] for p, rows in detected.items()},
    }
