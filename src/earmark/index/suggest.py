"""Active learning: which windows to review next, from a head fitted on the labels so far.

The head is scikit-learn's logistic regression (unit-length vectors, balanced class weights) on the
stored window vectors of the labelled windows - seconds, never re-encoding. With ``label`` it is one
detector (that label's positives against its negatives and the other labels' positives); without, one
class per label (and ``other`` for windows that only have negatives). Strategies:

- ``margin``: the windows the head is least sure of (smallest gap between its two best classes);
- ``top``: the windows it scores highest for the label (or any label): find more positives fast;
- ``random``: a uniform sample, the baseline;
- ``diverse``: margin's most uncertain windows spread out (farthest-point picks in cosine space).

``margin`` and ``diverse`` take at most one window per file a round: overlapping windows of a file are
near-duplicates, and reviewing them together teaches the head once. Windows already decided are never
suggested. Before the head can be fitted (a label with no negatives yet, or fewer than two classes),
every strategy but ``random`` ranks windows by similarity to the mean of the positives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import OptionError
from .labels import Labels
from .store import Index

__all__ = ["OTHER", "STRATEGIES", "Suggestion", "fit_head", "suggest"]

STRATEGIES = ("margin", "top", "random", "diverse")
OTHER = "other"


@dataclass(frozen=True)
class Suggestion:
    """A window to review: ``score`` is the head's probability of ``label`` (its best guess)."""

    id: str
    path: str
    start_s: float
    end_s: float
    score: float
    label: str | None
    margin: float | None
    strategy: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def training_set(
    labels: Labels, label: str | None = None, *, after_seq: int | None = None
) -> tuple[list[str], list[str]]:
    """Window ids and their classes from the current decisions (see the module's rules); with
    ``after_seq``, only windows decided after that point of the labels log (data a model trained
    up to it has not seen)."""
    positives: dict[str, set[str]] = {}
    negatives: dict[str, set[str]] = {}
    current = list(labels.current().values())
    if after_seq is not None:
        late = {d.id for d in current if d.seq > after_seq}
        current = [d for d in current if d.id in late]
    for d in current:
        (positives if d.positive else negatives).setdefault(d.id, set()).add(d.label)
    ids, classes = [], []
    for wid in sorted(set(positives) | set(negatives)):
        pos = positives.get(wid, set())
        if label is not None:
            if label in pos:
                ids.append(wid), classes.append(label)
            elif pos or label in negatives.get(wid, set()):
                ids.append(wid), classes.append(OTHER)
        elif len(pos) == 1:
            ids.append(wid), classes.append(next(iter(pos)))
        elif not pos:
            ids.append(wid), classes.append(OTHER)
        # a window with several labels has no single class: a multi-class head leaves it out
    return ids, classes


def fit_head(x: np.ndarray, y: list[str], seed: int = 0) -> Any:
    """Class-balanced logistic regression on unit-length vectors (a scikit-learn pipeline), weakly
    regularised (``C=10``). Measured on ESC-10 (``bench_index.py active``): standardising on a few
    dozen labelled windows estimates 1,024 scales from too little and reached 0.864 at 80 labels;
    unit length with C=1 0.897, with C=10 0.902 (and 0.934 with every label)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    return make_pipeline(
        Normalizer(), LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed)
    ).fit(x, y)


def suggest(
    index: Index,
    *,
    label: str | None = None,
    n: int = 20,
    strategy: str = "margin",
    where: str | None = None,
    seed: int = 0,
) -> list[Suggestion]:
    """The next ``n`` windows to review, most useful first."""
    if strategy not in STRATEGIES:
        raise OptionError(f"strategy {strategy!r} is not allowed; use one of {', '.join(STRATEGIES)}")
    if n < 1:
        raise OptionError(f"n={n} is not allowed; use 1 or more")
    labels = Labels(index)
    decided = {d.id for d in labels.current().values()}
    if label is not None and label not in labels.counts():
        raise OptionError(f"label {label!r} has no decisions in {index.path}; label a few windows first")
    ids, vectors = index.all_vectors(where)
    position = {wid: i for i, wid in enumerate(ids)}
    open_ = np.array([wid not in decided for wid in ids], bool)
    if not open_.any():
        return []
    train_ids, classes = training_set(labels, label)
    kept = [(i, c) for i, c in zip(train_ids, classes) if i in position]
    train_ids, classes = [i for i, _ in kept], [c for _, c in kept]
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(open_)
    if strategy == "random":
        picked = rng.choice(candidates, size=min(n, len(candidates)), replace=False)
        return _rows(index, ids, picked, None, None, None, strategy)
    if len(set(classes)) < 2:
        positive = [position[i] for i, c in zip(train_ids, classes) if c != OTHER]
        if not positive:
            raise OptionError(f"{index.path} has no positive labels yet; label a few windows (or search) first")
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        centre = unit[positive].mean(axis=0)
        order = candidates[np.argsort(-(unit[candidates] @ centre))][:n]
        return _rows(index, ids, order, unit[order] @ centre, None, None, strategy)
    head = fit_head(vectors[[position[i] for i in train_ids]], list(classes), seed)
    probs = head.predict_proba(vectors[candidates])
    names = [str(c) for c in head.classes_]
    return _pick(index, ids, vectors, candidates, probs, names, label, n, strategy)


def _pick(index, ids, vectors, candidates, probs, names, label, n, strategy) -> list[Suggestion]:
    top2 = np.sort(probs, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    best = probs.argmax(axis=1)
    if strategy == "top":
        column = names.index(label) if label else None
        score = (
            probs[:, column] if column is not None else np.where(np.array(names)[best] == OTHER, 0.0, probs.max(axis=1))
        )
        order = np.argsort(-score)[:n]
    else:
        order = _one_per_file(
            index, ids, candidates, np.argsort(margin, kind="stable"), n * (5 if strategy == "diverse" else 1)
        )
        if strategy == "diverse":
            order = _spread(vectors[candidates[order]], n, order)
    chosen = [ids[c] for c in candidates[order]]
    rows = index.by_ids(chosen)
    return [
        Suggestion(
            wid,
            rows[wid]["path"],
            rows[wid]["start_s"],
            rows[wid]["end_s"],
            float(probs[o].max()),
            names[best[o]],
            float(margin[o]),
            strategy,
        )
        for wid, o in zip(chosen, order)
    ]


def _one_per_file(index: Index, ids: list[str], candidates: np.ndarray, ranked: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` of ``ranked`` (positions into ``candidates``) with at most one window per file
    (then, if files run out, the rest in order)."""
    rows = index.by_ids([ids[candidates[i]] for i in ranked[: max(n * 20, 200)]], ("id", "path"))
    seen, first, rest = set(), [], []
    for i in ranked:
        wid = ids[candidates[i]]
        path = rows[wid]["path"] if wid in rows else wid
        (rest if path in seen else first).append(i)
        seen.add(path)
        if len(first) >= n:
            break
    return np.array((first + rest)[:n], int)


def _spread(x: np.ndarray, n: int, order: np.ndarray) -> np.ndarray:
    """Farthest-point picks among ``x`` (unit-normalised), starting from the most uncertain."""
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    picked = [0]
    nearest = 1 - unit @ unit[0]
    while len(picked) < min(n, len(x)):
        k = int(np.argmax(nearest))
        picked.append(k)
        nearest = np.minimum(nearest, 1 - unit @ unit[k])
    return order[picked]


def _rows(index, ids, picked, scores, label, margin, strategy) -> list[Suggestion]:
    found = index.by_ids([ids[i] for i in picked])
    out = []
    for k, i in enumerate(picked):
        r = found[ids[i]]
        score = float(scores[k]) if scores is not None else 0.0
        out.append(Suggestion(r["id"], r["path"], r["start_s"], r["end_s"], score, label, margin, strategy))
    return out
