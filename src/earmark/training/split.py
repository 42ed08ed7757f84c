"""Group-aware splits: no clip, speaker, recording or fold is ever on two sides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import OptionError, missing_extra
from ..io.labelled import LabelledClip

__all__ = ["Split", "group_of", "split_clips"]


@dataclass(frozen=True)
class Split:
    """Boolean masks over the clips: train (minus validation), validation, test."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    groups: np.ndarray

    @property
    def test_groups(self) -> tuple[str, ...]:
        return tuple(sorted({str(g) for g in self.groups[self.test]}))


def group_of(clip: LabelledClip, split_by: str) -> str:
    """The group (speaker, recording, fold) of a clip: the first regex group matched on its file name."""
    match = re.search(split_by, Path(clip.source).name)
    if match is None or not match.groups():
        raise OptionError(f"{Path(clip.source).name}: --split-by {split_by!r} does not match (it needs a group)")
    return match.group(1)


def split_clips(
    clips: Sequence[LabelledClip],
    *,
    split_by: str | None = None,
    test_groups: Sequence[str] | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.15,
    seed: int = 0,
) -> Split:
    """Test = the named groups, or a group-aware random ``test_size``; validation = a group-aware
    ``validation_size`` of what is left (no clip, speaker or recording is ever on two sides)."""
    try:
        from sklearn.model_selection import GroupShuffleSplit
    except ImportError as e:
        raise missing_extra("scikit-learn", "train", "training") from e
    labels = np.array([c.label for c in clips])
    if len(set(labels)) < 2:
        raise OptionError(f"training needs at least two labels; got {sorted(set(labels))}")
    groups = np.array([group_of(c, split_by) if split_by else c.key for c in clips])
    if test_groups:
        test = np.isin(groups, list(test_groups))
        if not test.any() or test.all():
            raise OptionError(
                f"test groups {list(test_groups)} leave no train or no test clips; groups: {sorted(set(groups))[:20]}"
            )
    else:
        test = _group_sample(groups, np.ones(len(clips), bool), test_size, seed, GroupShuffleSplit)
    validation = np.zeros(len(clips), bool)
    if validation_size > 0 and len(set(groups[~test])) >= 2:
        validation = _group_sample(groups, ~test, validation_size, seed, GroupShuffleSplit)
    return Split(~test & ~validation, validation, test, groups)


def _group_sample(groups: np.ndarray, among: np.ndarray, size: float, seed: int, splitter) -> np.ndarray:
    index = np.flatnonzero(among)
    _, picked = next(splitter(n_splits=1, test_size=size, random_state=seed).split(index, groups=groups[index]))
    mask = np.zeros(len(groups), bool)
    mask[index[picked]] = True
    return mask
