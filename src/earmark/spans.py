"""Spans of long recordings: one file cut into parts that run on different workers and join into
exactly the result of one unbroken run.

Span ``j`` of a file holds the windows whose start falls in ``[j * span_s, (j + 1) * span_s)`` - on the
model's own window grid, so no window is dropped or doubled at a boundary whatever the hop. Each span
is read from the start of the resampling piece that holds its first window (:mod:`earmark.io.resample`:
its samples are the whole file's, bit for bit), folded with both ends open
(:class:`~earmark.fold.FoldState`), and :func:`join_spans` joins the folds of all spans, in order, into
the file's :class:`Prediction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .fold import FoldState, join
from .options import ClassifyOptions
from .results import Prediction, Timeline
from .scoring import nothing_heard, ranker

__all__ = ["SpanInput", "SpanResult", "join_spans", "span_count"]

MIN_LAST_S = 10.0
"""The last span is at least this long (or 2 % of the file, for headers that overstate a length), so
it never starts in a file's last resampling piece's context."""


@dataclass(frozen=True)
class SpanInput:
    """Span ``index`` of ``count`` of the file at ``path``, spans being ``span_s`` long."""

    path: str
    index: int
    count: int
    span_s: float

    @property
    def last(self) -> bool:
        return self.index == self.count - 1

    @property
    def key(self) -> str:
        return f"{self.path}#span={self.index + 1}/{self.count}@{self.span_s:g}s"

    def window_range(self, hop: int, sample_rate: int) -> tuple[int, int | None]:
        """The indices ``[first, stop)`` of its windows (``stop`` None: to the end of the file)."""
        size = round(self.span_s * sample_rate)

        def first_at(sample: int) -> int:
            return -(-sample // hop)

        return first_at(self.index * size), None if self.last else first_at((self.index + 1) * size)


@dataclass(frozen=True)
class SpanResult:
    """A span's fold; the last span also knows the file's length (samples at the model's rate)."""

    source: str
    index: int
    count: int
    state: FoldState
    num_samples: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "index": self.index,
            "count": self.count,
            "state": self.state.to_dict(),
            "num_samples": self.num_samples,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpanResult:
        return cls(d["source"], d["index"], d["count"], FoldState.from_dict(d["state"]), d["num_samples"])


def span_count(duration_s: float | None, span_s: float | None) -> int:
    """How many spans a file of ``duration_s`` is cut into (1: it runs whole)."""
    if not span_s or not duration_s:
        return 1
    return max(1, math.ceil((duration_s - max(MIN_LAST_S, 0.02 * duration_s)) / span_s))


def join_spans(
    results: list[SpanResult],
    labels: tuple[str, ...],
    codes: tuple[str, ...] | None,
    options: ClassifyOptions,
    sample_rate: int,
) -> Prediction:
    """The file's prediction from all its spans' folds (any order): what one unbroken run gives."""
    results = sorted(results, key=lambda r: r.index)
    if [r.index for r in results] != list(range(results[0].count)):
        raise ValueError(f"{results[0].source}: spans {[r.index for r in results]} of {results[0].count}")
    ranked = ranker(labels, codes, options)
    pooled, segments = join([r.state for r in results], ranked, merge=options.merge, pooling=options.pooling)
    duration = (results[-1].num_samples or 0) / sample_rate
    windows = sum(r.state.pool.count for r in results)
    if pooled is None:
        return Prediction(nothing_heard(options), source=results[0].source, duration_s=duration)
    timeline = Timeline(tuple(segments)) if windows > 1 else Timeline()
    return Prediction(ranked(pooled), source=results[0].source, duration_s=duration, timeline=timeline)
