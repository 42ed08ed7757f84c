"""``earmark train --db``: a head trained from an index's reviewed labels, on the stored vectors.

The windows' pooled features (mean and standard deviation of the encoder's frames) are the ones a
head model computes at run time, so the head folder is a normal earmark model: ``classify``,
``batch``, ``serve`` and ``listen`` run it on the index's encoder, window by window (the index's
window length). Negatives are a class of their own (``other``), so the model can say "none of these".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..engines.head import CONFIG, WEIGHTS
from ..errors import OptionError
from .heads import fit_head, save_head

__all__ = ["train_from_index"]


def train_from_index(
    db: str | Path, out: str | Path, *, label: str | None = None, head: str = "logistic", seed: int = 0
) -> dict[str, Any]:
    """Fit and save the head; returns a summary (classes, windows per class, training accuracy)."""
    from ..index import Index
    from ..index.labels import Labels
    from ..index.suggest import training_set

    if head not in ("logistic", "mlp"):
        raise OptionError(f"--head {head!r} cannot train from an index (it holds pooled vectors); use logistic or mlp")
    index = Index(db)
    labels = Labels(index)
    ids, classes = training_set(labels, label)
    names = sorted(set(classes))
    if len(names) < 2:
        raise OptionError(
            f"{index.path}: training needs two classes (labels, or a label and its negatives); got {names or 'none'}"
        )
    pooled = index.features(ids)
    dim = index.settings.dim
    mean, std = pooled[:, :dim], pooled[:, dim:]
    frames = [np.stack([m + s, m - s]) for m, s in zip(mean, std)]  # two frames whose mean/std are these
    fitted = fit_head(head, frames, np.array(classes), names, seed=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS).unlink(missing_ok=True)
    save_head(fitted, out)
    settings = index.settings
    config = {
        "type": "head",
        "encoder": settings.encoder,
        "labels": list(fitted.classes),
        "index": {
            "window_s": settings.window_s,
            "hop_s": settings.hop_s,
            "db": str(index.path),
            # the labels it was trained on end here: earmark calibrate --db uses only later decisions
            "labels_seq": max((d.seq for d in labels.current().values()), default=0),
        },
    }
    (out / CONFIG).write_text(json.dumps(config, indent=2))
    predicted = np.array(names)[fitted.logits(frames).argmax(axis=1)]
    return {
        "classes": {n: classes.count(n) for n in names},
        "windows": len(ids),
        "train_accuracy": float(np.mean(predicted == np.array(classes))),
        "out": str(out),
    }
