"""Dynamic batching: concurrent requests for one model share one forward pass.

Requests wait in a bounded queue; a worker thread per model takes the first, gathers more for at most
``max_wait_ms`` (up to ``max_batch_size``), and runs them with ``classify_many`` - grouped by their
options and zero-shot labels, since those change the scoring but not the audio. The core's batching
rules apply, so a batch never changes a score. The event loop only awaits futures.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from ..audio import Audio
from ..classifier import Classifier
from ..errors import EarmarkError
from ..options import ClassifyOptions
from ..results import Failure

__all__ = ["Batcher", "QueueFull"]

logger = logging.getLogger("earmark")


class QueueFull(EarmarkError):
    """The model's queue is full: the client should retry later (HTTP 429)."""


@dataclass
class _Item:
    audio: Audio
    options: ClassifyOptions
    labels: tuple[str, ...] | None
    template: str | None
    future: Future = field(default_factory=Future)


class Batcher:
    """One model's queue and worker thread."""

    def __init__(
        self,
        classifier: Classifier,
        *,
        max_batch_size: int = 8,
        max_wait_ms: float = 10.0,
        max_queue: int = 64,
        observe: Any = None,
    ) -> None:
        self.classifier = classifier
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.queue: queue.Queue[_Item | None] = queue.Queue(maxsize=max_queue)
        self.observe = observe  # called with each batch's size (metrics)
        self._worker = threading.Thread(target=self._run, name=f"earmark-batch-{classifier.name}", daemon=True)
        self._worker.start()

    def submit(
        self, audio: Audio, options: ClassifyOptions, labels: tuple[str, ...] | None = None, template: str | None = None
    ) -> Future:
        item = _Item(audio, options, labels, template)
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            raise QueueFull(f"the queue for {self.classifier.name!r} is full ({self.queue.maxsize})") from None
        return item.future

    def close(self, timeout_s: float = 30.0) -> None:
        """Finish what is queued, then stop the worker (graceful shutdown)."""
        self.queue.put(None)
        self._worker.join(timeout_s)

    def _gather(self, first: _Item) -> tuple[list[_Item], bool]:
        batch, deadline = [first], time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                item = self.queue.get(timeout=max(0.0, remaining)) if remaining > 0 else self.queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self.queue.get()
            if first is None:
                break
            batch, stop = self._gather(first)
            if self.observe:
                self.observe(len(batch))
            groups: dict[Any, list[_Item]] = defaultdict(list)
            for item in batch:
                groups[(item.options, item.labels, item.template)].append(item)
            for (options, labels, template), items in groups.items():
                self._classify(items, options, labels, template)

    def _classify(self, items: list[_Item], options: ClassifyOptions, labels: Any, template: Any) -> None:
        items = [i for i in items if not i.future.cancelled()]  # past their deadline: answered 504 already
        if not items:
            return
        try:
            classifier = self.classifier.with_labels(labels, template) if labels else self.classifier
            results = classifier.classify_many([i.audio for i in items], options, errors="yield", readahead=0)
        except Exception as e:  # an option that fails for the whole group: each request gets the error
            for item in items:
                _settle(item.future, error=e)
            return
        for item, result in zip(items, results):
            if isinstance(result, Failure):
                _settle(item.future, error=result.error_for_raising())
            else:
                _settle(item.future, result=result)


def _settle(future: Future, *, result: Any = None, error: BaseException | None = None) -> None:
    """Answer a request, unless its deadline cancelled it meanwhile (the batch thread must live on)."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass
