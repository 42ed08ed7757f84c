"""Sliding windows over long recordings, pooling, and timeline segments."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .results import Score, Segment, Timeline

__all__ = ["merge_runs", "plan_windows", "pool"]


def plan_windows(num_samples: int, sample_rate: int, window_s: float, hop_s: float) -> list[tuple[int, int]]:
    """Frame ranges ``[start, end)`` covering the recording.

    Windows start every ``hop_s``; the last one is aligned to the end of the
    recording rather than padded, so every window holds only real audio. A
    recording no longer than one window is a single window.
    """
    window = max(1, round(window_s * sample_rate))
    hop = max(1, round(hop_s * sample_rate))
    if num_samples <= window:
        return [(0, num_samples)]
    spans = [(start, start + window) for start in range(0, num_samples - window + 1, hop)]
    if spans[-1][1] < num_samples:
        spans.append((num_samples - window, num_samples))
    return spans


def pool(scores: np.ndarray, how: str, lengths: np.ndarray | None = None) -> np.ndarray:
    """Pool per-window score vectors ``(windows, labels)`` into one vector.

    ``vote`` is a weighted mean: each window counts by its confidence (its best score)
    times its length, so short or unsure windows sway the answer less.
    """
    if how == "max":
        return scores.max(axis=0)
    if how == "vote":
        weights = scores.max(axis=1) * (np.ones(len(scores)) if lengths is None else lengths)
        if weights.sum() > 0:
            return (weights[:, None] * scores).sum(axis=0) / weights.sum()
    return scores.mean(axis=0)


def merge_runs(
    spans_s: Sequence[tuple[float, float]],
    scores: np.ndarray,
    rank: Callable[[np.ndarray], tuple[Score, ...]],
    *,
    merge: bool = True,
) -> Timeline:
    """Segments from per-window scores; with ``merge``, adjacent windows sharing their top label
    become one segment whose scores are the mean over its windows."""
    runs: list[list[int]] = []
    previous = None
    for i in range(len(spans_s)):
        ranked = rank(scores[i])
        top = ranked[0].label if ranked else None
        if merge and runs and top == previous:
            runs[-1].append(i)
        else:
            runs.append([i])
        previous = top
    segments = tuple(Segment(spans_s[run[0]][0], spans_s[run[-1]][1], rank(scores[run].mean(axis=0))) for run in runs)
    return Timeline(segments)
