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

__all__ = ["prefetch", "read_ahead", "source_name"]

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


_END = object()


def prefetch(items: Iterable[T], size: int, name: str = "earmark-prefetch") -> Iterator[T]:
    """``items`` produced in a background thread at most ``size`` ahead of the consumer (decoding and
    resampling a long file while the model runs); an exception is raised where it happened in order,
    and a consumer that stops early stops the producer."""
    import queue
    import threading

    out: queue.Queue = queue.Queue(maxsize=max(1, size))
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        out.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as e:  # handed to the consumer in order
            out.put((None, e))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        out.put((_END, None))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = out.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                out.get_nowait()
            except queue.Empty:
                thread.join(0.05)
