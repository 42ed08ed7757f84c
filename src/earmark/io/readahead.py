"""Decode upcoming inputs in a few threads while the model runs, results still in input order.

libsndfile, FFmpeg and soxr release the GIL, so decoding and resampling the next files overlaps with
the model's forward pass. At most ``2 * workers`` inputs are in flight (bounded memory); a failure
is handed back in its place, never raised out of order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["read_ahead", "source_name"]

T = TypeVar("T")


def source_name(source: Any) -> str:
    """How an input is named in messages before it is decoded."""
    if isinstance(source, str):
        return source
    if hasattr(source, "__fspath__"):
        return str(source.__fspath__())
    if isinstance(source, dict) and source.get("path"):
        return str(source["path"])
    return getattr(source, "source", None) or getattr(source, "name", None) or f"<{type(source).__name__}>"


def _call(fn: Callable[..., T], source: Any, args: tuple) -> T | Exception:
    try:
        return fn(source, *args)
    except Exception as e:  # handed back in order, raised (or recorded) by the caller
        return e


def read_ahead(
    sources: Iterable[Any], fn: Callable[..., T], *args: Any, workers: int = 2
) -> Iterator[tuple[str, T | Exception]]:
    """``(name, fn(source, *args) or the exception it raised)`` for each source, in order."""
    if workers <= 0:
        for source in sources:
            yield source_name(source), _call(fn, source, args)
        return
    in_flight: deque[tuple[str, Future]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="earmark-decode") as pool:
        try:
            for source in sources:
                in_flight.append((source_name(source), pool.submit(_call, fn, source, args)))
                if len(in_flight) >= 2 * workers:
                    name, future = in_flight.popleft()
                    yield name, future.result()
            while in_flight:
                name, future = in_flight.popleft()
                yield name, future.result()
        finally:  # a consumer that stops early must not wait for inputs it will never use
            for _, future in in_flight:
                future.cancel()
