"""What identifies a file, a model on disk, or a set of settings: content hashes and fingerprints.

Used by the resume journals (bound to the model's files and the options), the ONNX export cache
(keyed by the model's files or Hub revision), the packaged-weights checks and the training caches.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["HASH_UP_TO_BYTES", "file_sha256", "file_signature", "fingerprint"]

HASH_UP_TO_BYTES = 64 * 1024 * 1024
"""Files up to this size are known by their content in a signature; larger ones by size and mtime."""
CHUNK_BYTES = 1024 * 1024


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's content, read in blocks; remembered per (path, size, mtime)."""
    path = Path(path)
    info = path.stat()
    return _sha256(path.resolve(), info.st_size, info.st_mtime_ns)


@functools.cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def file_signature(path: str | os.PathLike) -> list[Any] | None:
    """What identifies a model on disk: each file's name and content hash (size and mtime for big
    files); None for something that is not a local path (a Hub id is identified by its name)."""
    path = Path(path).expanduser()
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    out = []
    for f in files:
        info = f.stat()
        digest = file_sha256(f)[:16] if info.st_size <= HASH_UP_TO_BYTES else f"{info.st_size}:{info.st_mtime_ns}"
        out.append([str(f.relative_to(path)) if f != path else f.name, digest])
    return out


def fingerprint(settings: Mapping[str, Any]) -> str:
    """A short stable hash of JSON-able settings."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
