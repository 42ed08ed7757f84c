"""Per-class thresholds to a precision or recall target, and score calibration, from labelled clips.

For each class (one against the rest) the threshold is the lowest score at which precision still
reaches the target (so recall is as high as it can be there), or the highest at which recall does.
Each is reported with the precision and recall it reaches on the calibration clips and a bootstrap
95 % interval (1,000 resamples of the clips) of the targeted measure. A class with fewer than
``min_examples`` clips of its own, or of other classes, is refused its threshold, and so is one whose
target no threshold reaches: never an invented number.

Score maps (``platt``: logistic regression on the score's logit; ``isotonic``: scikit-learn's
isotonic regression) are fitted per class on the same clips and the thresholds chosen on the mapped
scores. The expected calibration error is measured before, and after by 5-fold cross-fitting (maps
fitted on four fifths, measured on the fifth), so an isotonic map's perfect fit to its own data does
not count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..calibration import Calibration, ClassThreshold, ScoreMap, Target
from ..classifier import Classifier
from ..errors import AudioError, OptionError, missing_extra
from ..io.clips import LabelledClip
from ..results import Failure
from .metrics import match_labels

__all__ = [
    "BINS",
    "CONFIDENCE",
    "MIN_EXAMPLES",
    "ScoreTable",
    "calibrate",
    "ece",
    "fit_maps",
    "pick_threshold",
    "score_table",
]

MIN_EXAMPLES = 10  # clips of a class (and of the others) below which no threshold is given
# A threshold must meet its target at this one-sided confidence (Clopper-Pearson lower bound), not
# just on the calibration clips: chosen on those clips' own precision, thresholds held out of sample
# for 84 % of ESC-10 classes and 38 % of FSDD digits (bench_calibration.py).
CONFIDENCE = 0.95
BOOTSTRAP = 1000
BINS = 15  # equal-width bins of the expected calibration error
FOLDS = 5


@dataclass(frozen=True)
class ScoreTable:
    """Every model score of every clip: ``scores[i, j]`` is clip ``i``'s raw score for ``labels[j]``;
    ``truth[i]`` is the model label the clip's label matched, or None (a clip of none of them)."""

    labels: tuple[str, ...]
    scores: np.ndarray
    truth: tuple[str | None, ...]
    failed: tuple[Failure, ...] = ()

    def positives(self, label: str) -> np.ndarray:
        return np.array([t == label for t in self.truth], bool)


def score_table(
    classifier: Classifier,
    clips: Sequence[LabelledClip],
    *,
    label_map: Mapping[str, str] | None = None,
    batch_size: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreTable:
    """The raw (uncalibrated) scores of every clip for every label; a clip that fails is listed."""
    dataset_labels = sorted({c.label for c in clips})
    to_dataset = match_labels(classifier.labels, dataset_labels, label_map)
    to_model = {d: m for m, d in to_dataset.items()}
    column = {label: j for j, label in enumerate(classifier.labels)}
    rows, truth, failed = [], [], []
    results = classifier.iter_classify(
        clips, top_k=None, calibrated=False, threshold=None, batch_size=batch_size, errors="yield"
    )
    for n, (clip, result) in enumerate(zip(clips, results), start=1):
        if isinstance(result, Failure):
            failed.append(Failure(clip.key, result.error, result.error_type))
        else:
            row = np.zeros(len(column))
            for s in result.scores:
                if s.label in column:
                    row[column[s.label]] = s.score
            rows.append(row)
            truth.append(to_model.get(clip.label))
        if progress:
            progress(n, len(clips))
    if not rows:
        raise AudioError(f"none of the {len(failed)} clips could be classified; first error: {failed[0].error}")
    return ScoreTable(tuple(classifier.labels), np.array(rows), tuple(truth), tuple(failed))


def pick_threshold(scores: np.ndarray, positive: np.ndarray, target: Target, confidence: float = 0.0) -> float | None:
    """The threshold (``score >= threshold`` is a detection) meeting a precision or recall target on
    these scores, or None when none does. With ``confidence`` (e.g. 0.95) the measure that must reach
    the target is its one-sided Clopper-Pearson lower bound at that confidence, not its value on
    these clips: "precision >= 0.95 with 95 % confidence"."""
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], positive[order]
    tp, fp = np.cumsum(pos), np.cumsum(~pos)
    last = np.r_[s[1:] != s[:-1], True]  # a threshold at s[k] detects every tie of s[k]
    tp, fp, at = tp[last], fp[last], s[last]
    if target.kind not in ("precision", "recall"):
        raise OptionError(f"target {target} is for detectors on streamed negatives (--negatives DIR)")
    trials = tp + fp if target.kind == "precision" else np.full(len(tp), max(1, int(pos.sum())))
    measure = _lower_bound(tp, trials, confidence) if confidence else tp / trials
    ok = np.flatnonzero(measure >= target.value - 1e-12)
    if not len(ok):
        return None
    return float(at[ok[-1]] if target.kind == "precision" else at[ok[0]])


def _lower_bound(successes: np.ndarray, trials: np.ndarray, confidence: float) -> np.ndarray:
    """One-sided Clopper-Pearson lower bounds of success rates."""
    try:
        from scipy.stats import beta
    except ImportError as e:
        raise missing_extra("scipy", "eval", "confidence bounds") from e
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    with np.errstate(invalid="ignore"):
        return np.where(k > 0, beta.ppf(1 - confidence, np.maximum(k, 1e-9), n - k + 1), 0.0)


def calibrate(
    table: ScoreTable,
    target: Target,
    *,
    method: str = "none",
    min_examples: int = MIN_EXAMPLES,
    confidence: float = CONFIDENCE,
    model: str = "",
    data: str = "",
    seed: int = 0,
) -> Calibration:
    """Thresholds (and, with ``method``, score maps) for every model label found in ``table``; with
    ``confidence`` > 0 each must meet the target at that one-sided confidence (see
    :func:`pick_threshold`), 0: on the calibration clips' own value."""
    if not 0 <= confidence < 1:
        raise OptionError(f"confidence={confidence!r} is not allowed; use 0 (the clips' own value) up to 0.999")
    if method not in ("none", "platt", "isotonic"):
        raise OptionError(f"method={method!r} is not allowed; use none, platt or isotonic")
    labels = table.labels
    present = [label for label in labels if label in set(table.truth)]
    if not present:
        raise OptionError(f"none of the data's labels is one of the model's ({', '.join(labels[:10])}...)")
    maps = fit_maps(table.scores, table.truth, labels, present, method) if method != "none" else {}
    mapped = _apply(table.scores, labels, maps)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(table.truth), np.full(len(table.truth), 1 / len(table.truth)), size=BOOTSTRAP)
    classes = tuple(
        _one_class(label, mapped[:, labels.index(label)], table, target, min_examples, weights, confidence)
        for label in present
    )
    after = _cross_fitted(table, labels, present, method, seed) if method != "none" else None
    before_ece = ece(table.scores, table.truth, labels, present)
    return Calibration(
        target=target,
        classes=classes,
        method=method,
        maps=tuple(maps.items()),
        model=model,
        labels=labels,
        ece_before=before_ece,
        ece_after=ece(after, table.truth, labels, present) if after is not None else None,
        data=data,
        extra={
            "confidence": confidence,
            "clips": len(table.truth),
            "failed": len(table.failed),
            "reliability": {
                "before": reliability(table.scores, table.truth, labels, present),
                **({"after": reliability(after, table.truth, labels, present)} if after is not None else {}),
            },
            "pr_curves": {
                label: _pr_curve(mapped[:, labels.index(label)], table.positives(label)) for label in present
            },
        },
    )


def _one_class(
    label: str,
    scores: np.ndarray,
    table: ScoreTable,
    target: Target,
    min_examples: int,
    weights: np.ndarray,
    confidence: float,
) -> ClassThreshold:
    positive = table.positives(label)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    refused = None
    if n_pos < min_examples:
        refused = f"too few examples: {n_pos} clip(s) of {label!r}; a threshold needs at least {min_examples}"
    elif n_neg < min_examples:
        refused = f"too few negatives: {n_neg} clip(s) of other classes; a threshold needs at least {min_examples}"
    threshold = None if refused else pick_threshold(scores, positive, target, confidence)
    if refused is None and threshold is None:
        sure = f" with {confidence:.0%} confidence" if confidence else ""
        hint = "; label more, or lower --confidence" if sure else ""
        refused = (
            f"{target} is not reached at any threshold{sure} by these {n_pos} clips of the class (at best "
            f"{_best(scores, positive, target.kind):.3f} on them){hint}"
        )
    if refused:
        return ClassThreshold(label, None, n_pos, n_neg, reason=refused)
    detected = scores >= threshold
    tp, fp = weights @ (positive & detected), weights @ (~positive & detected)
    fn = weights @ (positive & ~detected)
    measure = tp / np.maximum(1, tp + fp) if target.kind == "precision" else tp / np.maximum(1, tp + fn)
    low, high = np.percentile(measure, [2.5, 97.5])
    hits = int((positive & detected).sum())
    return ClassThreshold(
        label,
        float(threshold),
        n_pos,
        n_neg,
        precision=hits / max(1, int(detected.sum())),
        recall=hits / n_pos,
        interval=(float(low), float(high)),
    )


def _best(scores: np.ndarray, positive: np.ndarray, kind: str) -> float:
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(positive[order])
    return float(np.max(tp / np.arange(1, len(tp) + 1))) if kind == "precision" else float(tp[-1] / len(tp))


def fit_maps(
    scores: np.ndarray, truth: Sequence[str | None], labels: Sequence[str], present: Sequence[str], method: str
) -> dict[str, ScoreMap]:
    """One score map per class present (one against the rest)."""
    try:
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:
        raise missing_extra("scikit-learn", "eval", "score calibration") from e
    maps = {}
    for label in present:
        s = scores[:, labels.index(label)]
        y = np.array([t == label for t in truth], int)
        if y.min() == y.max():
            continue  # one class only: nothing to fit
        if method == "isotonic":
            fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
            maps[label] = ScoreMap(
                "isotonic", xs=tuple(map(float, fitted.X_thresholds_)), ys=tuple(map(float, fitted.y_thresholds_))
            )
        else:
            z = np.log(np.clip(s, 1e-7, 1 - 1e-7)) - np.log1p(-np.clip(s, 1e-7, 1 - 1e-7))
            fitted = LogisticRegression(C=1e4).fit(z[:, None], y)
            maps[label] = ScoreMap("platt", a=float(fitted.coef_[0, 0]), b=float(fitted.intercept_[0]))
    return maps


def _apply(scores: np.ndarray, labels: Sequence[str], maps: Mapping[str, ScoreMap]) -> np.ndarray:
    out = np.array(scores, np.float64, copy=True)
    for label, mapping in maps.items():
        j = labels.index(label)
        out[:, j] = mapping(out[:, j])
    return out


def _cross_fitted(
    table: ScoreTable, labels: Sequence[str], present: Sequence[str], method: str, seed: int
) -> np.ndarray:
    """Each clip's mapped scores from maps fitted without it (5 folds)."""
    from sklearn.model_selection import KFold

    out = np.array(table.scores, np.float64, copy=True)
    truth = list(table.truth)
    folds = KFold(min(FOLDS, len(truth)), shuffle=True, random_state=seed)
    for train, test in folds.split(out):
        maps = fit_maps(table.scores[train], [truth[i] for i in train], labels, present, method)
        out[test] = _apply(table.scores[test], labels, maps)
    return out


def ece(scores: np.ndarray, truth: Sequence[str | None], labels: Sequence[str], present: Sequence[str]) -> float:
    """Class-wise expected calibration error: each class's score against "is this class", in
    ``BINS`` equal-width bins (the gap between mean score and frequency, weighted by the bin's
    clips), averaged over the classes present."""
    values = []
    for label in present:
        s = scores[:, labels.index(label)]
        y = np.array([t == label for t in truth], float)
        bins = np.minimum((s * BINS).astype(int), BINS - 1)
        counts = np.bincount(bins, minlength=BINS)
        gap = np.abs(np.bincount(bins, s, BINS) - np.bincount(bins, y, BINS))
        values.append(float(gap.sum() / max(1, counts.sum())))
    return float(np.mean(values)) if values else math.nan


def reliability(
    scores: np.ndarray, truth: Sequence[str | None], labels: Sequence[str], present: Sequence[str]
) -> dict[str, list[float]]:
    """The reliability diagram's bins over every class's scores: mean score, frequency, count."""
    s = np.concatenate([scores[:, labels.index(label)] for label in present])
    y = np.concatenate([np.array([t == label for t in truth], float) for label in present])
    bins = np.minimum((s * BINS).astype(int), BINS - 1)
    counts = np.bincount(bins, minlength=BINS)
    safe = np.maximum(counts, 1)
    return {
        "score": (np.bincount(bins, s, BINS) / safe).tolist(),
        "frequency": (np.bincount(bins, y, BINS) / safe).tolist(),
        "count": counts.tolist(),
    }


def _pr_curve(scores: np.ndarray, positive: np.ndarray, points: int = 200) -> dict[str, list[float]]:
    """Precision and recall at up to ``points`` thresholds, for the plot."""
    order = np.argsort(-scores, kind="stable")
    tp, fp = np.cumsum(positive[order]), np.cumsum(~positive[order])
    keep = np.unique(np.linspace(0, len(order) - 1, min(points, len(order))).astype(int))
    return {
        "threshold": scores[order][keep].round(6).tolist(),
        "precision": (tp / (tp + fp))[keep].round(6).tolist(),
        "recall": (tp / max(1, positive.sum()))[keep].round(6).tolist(),
    }
