"""Local worker processes: each loads the model once and classifies whole chunks; the parent writes
the shards in order. Threads are split between the workers, so N workers use the cores once."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from typing import Any

from .inputs import Item

__all__ = ["process_chunks", "threads_per_worker"]

_state: dict[str, Any] = {}


def threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def _start(options: Any, threads: int) -> None:
    from ..threads import set_torch_threads

    set_torch_threads(threads)
    _state["options"] = options
    _state["classifier"] = options.load_model(threads=threads)
    _state["recordings"] = options.recordings_info(quiet=True)


def _classify(chunk: list[Item]) -> list[dict[str, Any]]:
    from .table import classify_chunk

    classifier = _state["classifier"]
    return classify_chunk(classifier, chunk, _state["options"].options_for(classifier), _state["recordings"])


def process_chunks(chunks: list[list[Item]], options: Any) -> Iterator[tuple[list[Item], list[dict[str, Any]]]]:
    if not chunks:
        return
    threads = options.threads or threads_per_worker(options.workers)
    context = multiprocessing.get_context("spawn")  # no forked torch or thread pools
    with context.Pool(options.workers, initializer=_start, initargs=(options, threads)) as pool:
        yield from zip(chunks, pool.imap(_classify, chunks))
