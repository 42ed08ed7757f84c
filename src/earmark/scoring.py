"""From logits to ranked :class:`~earmark.Score` tuples: activation, filters, top-k."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .errors import LabelError
from .options import ClassifyOptions
from .results import Score

if TYPE_CHECKING:
    from .calibration import Calibration

__all__ = ["UNKNOWN", "activate", "nothing_heard", "rank", "ranker", "resolve_labels", "restrict_logits"]

UNKNOWN = "unknown"


def activate(logits: np.ndarray, function: str) -> np.ndarray:
    """Apply softmax, sigmoid or nothing along the last axis (computed in float64)."""
    x = logits.astype(np.float64)
    if function == "softmax":
        x = np.exp(x - x.max(axis=-1, keepdims=True))
        return x / x.sum(axis=-1, keepdims=True)
    if function == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    return x


def resolve_labels(options: ClassifyOptions, labels: Sequence[str], codes: Sequence[str] | None) -> ClassifyOptions:
    """Options whose ``include``/``exclude``/``restrict`` name labels (codes are mapped to labels);
    :class:`LabelError` for anything the model does not have."""
    known = set(labels)
    by_code = dict(zip(codes, labels)) if codes else {}
    changes = {}
    for name in ("include", "exclude", "restrict"):
        given = getattr(options, name)
        if given is None:
            continue
        resolved = tuple(x if x in known else by_code.get(x, x) for x in given)
        missing = [x for x in resolved if x not in known]
        if missing:
            shown = ", ".join(sorted(by_code or known)[:20]) + (", ..." if len(known) > 20 else "")
            raise LabelError(f"{name}: label(s) {missing} are not among the model's {len(known)} labels ({shown})")
        changes[name] = resolved
    return options.replace(**changes)


def restrict_logits(logits: np.ndarray, labels: Sequence[str], restrict: Sequence[str] | None) -> np.ndarray:
    """Logits with every label outside ``restrict`` at -inf, so softmax renormalises over the rest."""
    if restrict is None:
        return logits
    keep = np.isin(np.asarray(labels), list(restrict))
    return np.where(keep, logits, -np.inf)


def rank(
    scores: np.ndarray,
    labels: Sequence[str],
    options: ClassifyOptions,
    codes: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> tuple[Score, ...]:
    """The best labels for one score vector, after the candidate set, allow/deny lists and threshold:
    ``options.threshold`` for every label when given, else each label's own in ``thresholds``."""
    order = np.argsort(-scores, kind="stable")
    include = set(options.include) if options.include is not None else None
    if options.restrict is not None:
        include = set(options.restrict) if include is None else include & set(options.restrict)
    exclude = set(options.exclude)
    limit = len(labels) if options.top_k is None else options.top_k
    out: list[Score] = []
    for i in order:
        label = labels[i]
        if (include is not None and label not in include) or label in exclude:
            continue
        if options.threshold is not None:
            if scores[i] < options.threshold:
                break
        elif thresholds and label in thresholds and scores[i] < thresholds[label]:
            continue
        out.append(Score(label, float(scores[i]), codes[i] if codes else None))
        if len(out) == limit:
            break
    return tuple(out)


def ranker(
    labels: Sequence[str],
    codes: Sequence[str] | None,
    options: ClassifyOptions,
    calibration: Calibration | None = None,
) -> Callable[[np.ndarray], tuple[Score, ...]]:
    """Score vector -> ranked labels under ``options``: the calibration's score maps, :func:`rank`
    (with its per-class thresholds unless ``options.threshold`` is given), then ``unknown`` first
    when the best score is under ``abstain_below`` (no confident wrong answer). With
    ``options.calibrated`` False the calibration is not applied."""
    if not options.calibrated:
        calibration = None
    thresholds = calibration.thresholds if calibration is not None else None

    def ranked(vector: np.ndarray) -> tuple[Score, ...]:
        if calibration is not None:
            vector = calibration.apply(vector, labels)
        out = rank(vector, labels, options, codes, thresholds)
        below = options.abstain_below
        if below is None or not out:
            return out
        best = float(np.max(vector))
        return ((Score(UNKNOWN, 1.0 - best),) + out) if best < below else out

    return ranked


def nothing_heard(options: ClassifyOptions) -> tuple[Score, ...]:
    """The answer for an input with no window to classify (e.g. no speech for a speech model)."""
    return (Score(UNKNOWN, 1.0),) if options.abstain_below is not None else ()
