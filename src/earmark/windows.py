"""Sliding windows over long recordings, pooling, and timeline segments.

A model's windows are a :class:`Grid` (window ``k`` reads ``[offset + k*hop, offset + k*hop + window)``)
and a plan (the grid over a known length, with the model's own rule for the end). A whole recording
is cut by its plan; a stream is cut by :func:`stream_windows`, which emits each window of the grid as
soon as it cannot be touched by the end rule and asks the plan only once the stream ends - so the
windows of a stream are those of the whole recording, and memory is a window and a block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .results import Score, Timeline

__all__ = ["Grid", "Plan", "extract", "merge_runs", "plan_windows", "pool", "stream_windows"]

Span = tuple[int, int]
Plan = list[tuple[Span, Span]]
"""Windows as ``(span, extent)``: the samples a window stands for in results, and those it reads
(zeros where the extent goes past either end)."""


@dataclass(frozen=True)
class Grid:
    """A model's window grid, in samples at its rate."""

    window: int
    """Samples a window reads."""
    hop: int
    offset: int = 0
    """Where window 0's read starts (negative: zero padding before the start, e.g. a centred STFT)."""
    report: int | None = None
    """Samples a window stands for (default ``window``), from ``k*hop``."""

    def window_at(self, k: int, num_samples: int | None = None) -> tuple[Span, Span]:
        start = k * self.hop
        end = start + (self.window if self.report is None else self.report)
        if num_samples is not None:
            end = min(end, num_samples)
        read = self.offset + start
        return (start, end), (read, read + self.window)

    def first_window_reading(self, sample: int) -> int:
        """The index of the first window whose read starts at or after ``sample``."""
        return max(0, -(-(sample - self.offset) // self.hop))


def extract(samples: np.ndarray, origin: int, extent: Span, num_samples: int | None = None) -> np.ndarray:
    """The samples of ``extent`` (absolute positions) from ``samples`` (which start at ``origin``), with
    zeros before 0 and after ``num_samples`` (the end of the recording, where it is known)."""
    a, b = extent
    lo, hi = max(a, 0), b if num_samples is None else min(b, num_samples)
    part = samples[lo - origin : max(lo, hi) - origin]
    if a == lo and len(part) == b - a:
        return part
    out = np.zeros(b - a, dtype=np.float32)
    out[lo - a : lo - a + len(part)] = part
    return out


def stream_windows(
    blocks: Iterable[np.ndarray],
    grid: Grid,
    plan: Callable[[int], Plan],
    *,
    origin: int = 0,
    first: int = 0,
    stop: int | None = None,
    on_end: Callable[[int], None] | None = None,
) -> Iterator[tuple[Span, np.ndarray]]:
    """``(span, samples)`` of windows ``first`` to ``stop`` (None: to the end of the recording) from
    blocks of samples that begin at absolute sample ``origin``. A window is emitted once the stream
    holds a window and a hop past its read, so the plan's end rule cannot change it; at the end of
    the stream the rest come from ``plan(length)`` (and ``on_end(length)`` is told the length)."""
    margin = grid.window + grid.hop
    buffer, start = np.zeros(0, np.float32), origin  # buffer[0] is sample ``start``
    k = first
    for block in blocks:
        buffer = np.concatenate([buffer, block]) if len(buffer) else np.asarray(block, np.float32)
        end = start + len(buffer)
        while stop is None or k < stop:
            span, extent = grid.window_at(k)
            if extent[1] + margin > end:
                break
            yield span, extract(buffer, start, extent).copy()  # a copy: the buffer moves on
            k += 1
        if stop is not None and k >= stop:
            return
        keep = min(max(start, grid.window_at(k)[1][0]), end)  # nothing before the next window's read is needed
        buffer, start = buffer[keep - start :], keep
    length = start + len(buffer)
    if on_end is not None:
        on_end(length)
    windows = plan(length)
    if k > first and windows[k - 1] != grid.window_at(k - 1, length):
        raise RuntimeError(f"window {k - 1} of the stream is not the plan's {windows[k - 1]}: a bug in the grid")
    for span, extent in windows[k:stop]:
        yield span, extract(buffer, start, extent, length)


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
    from .fold import Pool  # one pooling, whether the windows are held or folded as they come

    running = Pool(how)
    for i, row in enumerate(np.asarray(scores, dtype=np.float64)):
        running.add(row, 1 if lengths is None else lengths[i])
    return running.result()


def merge_runs(
    spans_s: Sequence[tuple[float, float]],
    scores: np.ndarray,
    rank: Callable[[np.ndarray], tuple[Score, ...]],
    *,
    merge: bool = True,
) -> Timeline:
    """Segments from per-window scores held in memory (a :class:`~earmark.fold.Fold` over them); with
    ``merge``, adjacent windows sharing their top label become one segment whose scores are the mean
    over its windows."""
    from .fold import Fold

    fold = Fold("mean", rank, merge=merge)
    for (a, b), vector in zip(spans_s, scores):
        fold.add(a, b, np.asarray(vector, np.float64), 1)
    fold.finish()
    return Timeline(fold.segments)
