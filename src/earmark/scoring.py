"""From logits to ranked :class:`~earmark.Score` tuples: activation, filters, top-k."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import LabelError
from .options import ClassifyOptions
from .results import Score

__all__ = ["activate", "check_labels", "rank"]


def activate(logits: np.ndarray, function: str) -> np.ndarray:
    """Apply softmax, sigmoid or nothing along the last axis (computed in float64)."""
    x = logits.astype(np.float64)
    if function == "softmax":
        x = np.exp(x - x.max(axis=-1, keepdims=True))
        return x / x.sum(axis=-1, keepdims=True)
    if function == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    return x


def check_labels(options: ClassifyOptions, labels: Sequence[str]) -> None:
    """Raise :class:`LabelError` if ``include``/``exclude`` name labels the model lacks."""
    known = set(labels)
    for name in ("include", "exclude"):
        missing = [x for x in getattr(options, name) or () if x not in known]
        if missing:
            shown = ", ".join(sorted(known)[:20]) + (", ..." if len(known) > 20 else "")
            raise LabelError(f"{name}: label(s) {missing} are not among the model's {len(known)} labels ({shown})")


def rank(scores: np.ndarray, labels: Sequence[str], options: ClassifyOptions) -> tuple[Score, ...]:
    """The best labels for one score vector, after the allow/deny lists and threshold."""
    order = np.argsort(-scores, kind="stable")
    include = set(options.include) if options.include is not None else None
    exclude = set(options.exclude)
    limit = len(labels) if options.top_k is None else options.top_k
    out: list[Score] = []
    for i in order:
        label = labels[i]
        if (include is not None and label not in include) or label in exclude:
            continue
        if options.threshold is not None and scores[i] < options.threshold:
            break
        out.append(Score(label, float(scores[i])))
        if len(out) == limit:
            break
    return tuple(out)
