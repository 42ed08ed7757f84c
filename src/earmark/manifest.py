"""The manifest of a folder written by ``earmark export`` (``earmark.json`` with ``"format":
"earmark-export"``): how the engine table recognises one cheaply, and how it is read and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ModelError

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "folder_format", "is_export", "read_manifest"]

FORMAT = "earmark-export"
FORMAT_VERSION = 1
MANIFEST = "earmark.json"


def folder_format(ref: str) -> str | None:
    """The ``format`` a model folder's ``earmark.json`` declares (``earmark-export``, ``earmark-speakers``),
    ``""`` for one without (a trained head), None for no such file (cheap: one small file read)."""
    path = Path(ref).expanduser() / MANIFEST
    try:
        return str(json.loads(path.read_text()).get("format", "")) if path.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None


def is_export(ref: str) -> bool:
    """A folder written by ``earmark export``."""
    return folder_format(ref) == FORMAT


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, checked: a known format version, and every file present at its recorded size."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"{folder}: not a readable earmark export ({e})") from e
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(
            f"{folder}: export format {manifest.get('format_version')} is newer than this earmark reads "
            f"({FORMAT_VERSION}); upgrade earmark"
        )
    for name, entry in manifest.get("files", {}).items():
        path = folder / name
        size = path.stat().st_size if path.is_file() else None
        if size != entry["bytes"]:
            got = "missing" if size is None else f"{size} bytes"
            raise ModelError(f"{folder}: {name} is {got}, the manifest says {entry['bytes']} bytes; export it again")
    return manifest
