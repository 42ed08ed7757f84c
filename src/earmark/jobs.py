"""What runs through a :class:`~earmark.classifier.Classifier`: one job per input (its windows, the
logits that came back, the fold they go into) and the batcher that groups windows of all jobs into
model calls (with length buckets for models that batch equal lengths only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fold import Fold
from .options import ClassifyOptions
from .spans import SpanInput

__all__ = ["Batcher", "Job"]


@dataclass
class Job:
    """One input on its way through the model: its windows (a list, or a stream from its file), the
    logits that came back (length buckets may return them out of order), and the fold they go into in
    order, so a recording of any length holds only a batch of windows and running sums."""

    source: str | None
    sample_rate: int
    windows: Iterator[tuple[tuple[int, int], np.ndarray]] = field(default_factory=lambda: iter(()))
    num_samples: int | None = None
    fold: Fold | None = None
    options: ClassifyOptions = ClassifyOptions()
    span: SpanInput | None = None
    waiting: dict[int, tuple[tuple[int, int], int, np.ndarray | None]] = field(default_factory=dict)
    """Windows sent to the model: their span, length and (once back) logits, by index."""
    sent: int = 0
    folded: int = 0
    exhausted: bool = False
    error: Exception | None = None
    failed_clips: int = 0

    @property
    def done(self) -> bool:
        return self.exhausted and self.folded == self.sent

    @property
    def path(self) -> str:
        """The file it reads: its span's, or its source's."""
        return self.span.path if self.span is not None else str(self.source)

    @property
    def duration_s(self) -> float:
        return (self.num_samples or 0) / self.sample_rate if self.sample_rate else 0.0

    def set_length(self, num_samples: int) -> None:
        self.num_samples = num_samples


class Batcher:
    """Windows of all jobs into batches of ``batch_size`` (and at most ``batch_s`` of audio); for
    models that batch equal lengths only, through length buckets."""

    def __init__(self, classifier: Any, opts: ClassifyOptions, errors: str) -> None:
        self.classifier, self.errors, self.size = classifier, errors, opts.batch_size
        self.limit = round(opts.batch_s * classifier.sample_rate)
        self.buckets = (
            _Buckets(classifier, opts.batch_size, self.limit, errors) if classifier.equal_length_batches else None
        )
        self.batch: list[tuple[Job, int, np.ndarray]] = []
        self.frames = 0

    def add(self, job: Job, index: int, clip: np.ndarray) -> None:
        if self.buckets is not None:
            self.buckets.add(job, index, clip)
            return
        if self.batch and self.frames + len(clip) > self.limit:
            self.run()
        self.batch.append((job, index, clip))
        self.frames += len(clip)
        if len(self.batch) >= self.size:
            self.run()

    def run(self) -> None:
        batch, self.batch, self.frames = self.batch, [], 0
        if batch:
            self.classifier._run(batch, self.errors)

    def flush(self) -> None:
        self.run()
        if self.buckets is not None:
            self.buckets.flush()


class _Buckets:
    """Length buckets for models that batch equal lengths only: a bucket runs when it holds a batch
    (or ``batch_s`` of audio); when the window of held clips (4 batches) is full, the oldest bucket
    runs part-full. Results still come out in input order (each job waits for all its clips)."""

    WINDOW_BATCHES = 4

    def __init__(self, classifier: Any, batch_size: int, limit: int, errors: str) -> None:
        self.classifier, self.batch_size, self.limit, self.errors = classifier, batch_size, limit, errors
        self.held: dict[int, list[tuple[Job, int, np.ndarray]]] = {}
        self.count = 0

    def add(self, job: Job, index: int, clip: np.ndarray) -> None:
        bucket = self.held.setdefault(len(clip), [])
        if bucket and (len(bucket) + 1) * len(clip) > self.limit:
            self._run(len(clip))
            bucket = self.held.setdefault(len(clip), [])
        bucket.append((job, index, clip))
        self.count += 1
        if len(bucket) >= self.batch_size:
            self._run(len(clip))
        elif self.count >= self.WINDOW_BATCHES * self.batch_size:
            self._run(next(iter(self.held)))  # the oldest bucket

    def flush(self) -> None:
        while self.held:
            self._run(next(iter(self.held)))

    def _run(self, length: int) -> None:
        batch = self.held.pop(length)
        self.count -= len(batch)
        self.classifier._run(batch, self.errors)
