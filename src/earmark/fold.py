"""Per-window scores folded as they arrive: a recording's pooled scores and its timeline, whatever its
length, holding only running sums and the current run of windows.

The sums run window by window in float64, so the pooled vector of a fold is the one
:func:`earmark.windows.pool` computes over all windows at once. A fold of one span of a long recording
keeps its first and last runs open (:class:`FoldState`), so spans folded on different workers join into
exactly the timeline of one unbroken fold (:func:`join`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .results import Score, Segment

__all__ = ["Fold", "FoldState", "Pool", "Run", "join"]

Ranked = Callable[[np.ndarray], tuple[Score, ...]]


@dataclass
class Run:
    """Adjacent windows sharing their top label, not yet ranked."""

    label: str | None
    start_s: float
    end_s: float
    total: np.ndarray
    count: int

    def absorb(self, other: Run) -> None:
        self.end_s = other.end_s
        self.total = self.total + other.total
        self.count += other.count

    def close(self, ranked: Ranked) -> Segment:
        return Segment(self.start_s, self.end_s, ranked(self.total / self.count))

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start_s": self.start_s, "end_s": self.end_s, "count": self.count} | {
            "total": _pack(self.total)
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(d["label"], d["start_s"], d["end_s"], _unpack(d["total"]), d["count"])


@dataclass
class Pool:
    """Running pooling state: sum (mean), max, or confidence x length weighted sum (vote)."""

    how: str
    count: int = 0
    total: np.ndarray | None = None
    weight: float = 0.0
    plain: np.ndarray | None = None  # vote's fallback when every weight is 0: the plain mean

    def add(self, scores: np.ndarray, length: int) -> None:
        self.count += 1
        if self.how == "max":
            self.total = scores.copy() if self.total is None else np.maximum(self.total, scores)
            return
        if self.how == "vote":
            w = float(scores.max()) * float(length)
            self.weight += w
            self.plain = scores.copy() if self.plain is None else self.plain + scores
            scores = w * scores
        self.total = scores.copy() if self.total is None else self.total + scores

    def merge(self, other: Pool) -> None:
        if other.total is None:
            return
        if self.total is None:
            self.count, self.total, self.weight, self.plain = other.count, other.total, other.weight, other.plain
            return
        self.count += other.count
        self.weight += other.weight
        if self.how == "max":
            self.total = np.maximum(self.total, other.total)
        else:
            self.total = self.total + other.total
        if self.plain is not None and other.plain is not None:
            self.plain = self.plain + other.plain

    def result(self) -> np.ndarray | None:
        if self.total is None:
            return None
        if self.how == "max":
            return self.total
        if self.how == "vote":
            return self.total / self.weight if self.weight > 0 else self.plain / self.count
        return self.total / self.count

    def to_dict(self) -> dict[str, Any]:
        return {
            "how": self.how,
            "count": self.count,
            "weight": self.weight,
            "total": None if self.total is None else _pack(self.total),
            "plain": None if self.plain is None else _pack(self.plain),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pool:
        unpack = lambda v: None if v is None else _unpack(v)  # noqa: E731
        return cls(d["how"], d["count"], unpack(d["total"]), d["weight"], unpack(d["plain"]))


@dataclass
class FoldState:
    """One span's fold, open at both ends: its pooling sums, its first run, the segments it closed,
    and its last run (None when the span is one run)."""

    pool: Pool
    head: Run | None = None
    segments: list[Segment] = field(default_factory=list)
    tail: Run | None = None
    end_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool": self.pool.to_dict(),
            "head": self.head and self.head.to_dict(),
            "segments": [s.to_dict() for s in self.segments],
            "tail": self.tail and self.tail.to_dict(),
            "end_s": self.end_s,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FoldState:
        def segment(s: dict[str, Any]) -> Segment:
            return Segment(
                s["start_s"], s["end_s"], tuple(Score(x["label"], x["score"], x.get("code")) for x in s["scores"])
            )

        return cls(
            Pool.from_dict(d["pool"]),
            d["head"] and Run.from_dict(d["head"]),
            [segment(s) for s in d["segments"]],
            d["tail"] and Run.from_dict(d["tail"]),
            d["end_s"],
        )


class Fold:
    """Windows in time order -> pooled scores and segments.

    ``ranked`` turns a score vector into ranked labels (top-k, threshold, abstaining); ``merge`` joins
    adjacent windows whose top label is the same; ``on_segment`` gets each segment as soon as it is
    closed; ``keep`` holds the segments for :meth:`segments`; ``open_ends`` keeps the first run open
    too (a span of a longer recording)."""

    def __init__(
        self,
        pooling: str,
        ranked: Ranked,
        *,
        merge: bool = True,
        on_segment: Callable[[Segment], None] | None = None,
        keep: bool = True,
        open_ends: bool = False,
    ) -> None:
        self.ranked, self.merge, self.on_segment, self.keep = ranked, merge, on_segment, keep
        self.state = FoldState(Pool(pooling))
        self.open_ends = open_ends
        self.run: Run | None = None
        self.kept: list[Segment] = []
        self.windows = 0

    def add(self, start_s: float, end_s: float, scores: np.ndarray, length: int) -> None:
        """One window's activated scores (and its length in samples, for vote pooling)."""
        self.windows += 1
        self.state.pool.add(scores, length)
        self.state.end_s = end_s
        ranked = self.ranked(scores)
        top = ranked[0].label if ranked else None
        window = Run(top, start_s, end_s, scores.copy(), 1)
        if self.run is not None and self.merge and top == self.run.label:
            self.run.absorb(window)
            return
        if self.run is not None:
            self._close(self.run)
        self.run = window

    def _close(self, run: Run) -> None:
        if self.open_ends and self.state.head is None:
            self.state.head = run
            return
        segment = run.close(self.ranked)
        if self.open_ends:
            self.state.segments.append(segment)
        self._emit(segment)

    def _emit(self, segment: Segment) -> None:
        if self.on_segment is not None:
            self.on_segment(segment)
        if self.keep:
            self.kept.append(segment)

    def finish(self) -> np.ndarray | None:
        """Close the last run; the pooled scores (None: no windows)."""
        if self.run is not None:
            if self.open_ends:
                if self.state.head is None:
                    self.state.head = self.run
                else:
                    self.state.tail = self.run
            elif self.windows > 1:  # one window is no timeline
                self._close(self.run)
            self.run = None
        return self.state.pool.result()

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self.kept)


def join(
    states: Iterable[FoldState], ranked: Ranked, *, merge: bool, pooling: str
) -> tuple[np.ndarray | None, list[Segment]]:
    """The pooled scores and segments of consecutive spans' folds, as one fold over all their windows."""
    pool = Pool(pooling)
    out: list[Segment] = []
    pending: Run | None = None
    for state in states:
        pool.merge(state.pool)
        head = state.head
        if head is None:
            continue
        if pending is not None and merge and pending.label == head.label:
            pending.absorb(head)
        else:
            if pending is not None:
                out.append(pending.close(ranked))
            pending = Run(head.label, head.start_s, head.end_s, head.total, head.count)
        if state.segments or state.tail is not None:
            out.append(pending.close(ranked))
            out += state.segments
            pending = state.tail
    if pending is not None:
        out.append(pending.close(ranked))
    return pool.result(), out


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").copy()
