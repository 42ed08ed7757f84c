"""Files written whole or not at all: a temporary ``NAME.partial`` beside the target, flushed and
fsynced, renamed over the target with ``os.replace``, and the folder fsynced so the rename survives
a power cut. Journals, caches, shards, tables, trained weights and converted weights are written so;
a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_file", "fsync_folder", "write_atomic"]

PARTIAL = ".partial"


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """Write ``path`` through the file this yields; it replaces ``path`` only when the block ends
    without an error (the partial file is removed otherwise)."""
    path = Path(path)
    partial = path.with_name(path.name + PARTIAL)
    try:
        with open(partial, mode, **open_args) as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, path)
        fsync_folder(path.parent)
    finally:
        partial.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write bytes, or text as UTF-8, to ``path`` atomically."""
    with atomic_file(path, "wb") as sink:
        sink.write(data.encode("utf-8") if isinstance(data, str) else data)


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
