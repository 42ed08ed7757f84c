"""Annotations given by time (``path, start_s, end_s``) matched to an index's windows.

A path matches the index's paths exactly, else by its resolved path, else by file name (or stem,
for Raven tables named after their recording) when exactly one file in the index has it. A window
matches an annotation when they overlap by at least half the window or half the annotation,
whichever is shorter - so a short call inside a window labels it, and a window that only grazes the
annotation does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import OptionError
from .store import Index

__all__ = ["TimeMatcher", "overlaps"]


def overlaps(window: tuple[float, float], annotation: tuple[float, float]) -> bool:
    (a, b), (c, d) = window, annotation
    shared = min(b, d) - max(a, c)
    return shared > 0 and shared >= 0.5 * min(b - a, d - c) - 1e-9


class TimeMatcher:
    """Window ids for annotations, the index's paths read once."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._paths: list[str] | None = None
        self._windows: dict[str, list[tuple[float, float, str]]] = {}

    @property
    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = sorted({r["path"] for r in self.index.rows(columns=("path",))})
        return self._paths

    def resolve(self, given: str) -> str | None:
        if given in self.paths:
            return given
        try:
            resolved = str(Path(given).expanduser().resolve())
        except OSError:
            resolved = given
        for p in self.paths:
            if p == resolved or _resolved(p) == resolved:
                return p
        name = Path(given).name
        for key in (lambda p: Path(p).name == name, lambda p: Path(p).stem == name):
            found = [p for p in self.paths if key(p)]
            if len(found) == 1:
                return found[0]
        return None

    def match(self, row: Mapping[str, Any], where: str) -> list[str]:
        try:
            a, b = float(row["start_s"]), float(row["end_s"])
        except (KeyError, TypeError, ValueError) as e:
            raise OptionError(f"{where}: start_s and end_s must be seconds ({e})") from e
        if not 0 <= a < b:
            raise OptionError(f"{where}: start_s={a:g}, end_s={b:g} is not a time range (0 <= start < end)")
        path = self.resolve(str(row.get("path") or ""))
        if path is None:
            return []
        if path not in self._windows:
            quoted = "'" + path.replace("'", "''") + "'"
            found = self.index.rows(f"path = {quoted}", columns=("id", "start_s", "end_s"))
            self._windows[path] = [(r["start_s"], r["end_s"], r["id"]) for r in found]
        return [i for s, e, i in self._windows[path] if overlaps((s, e), (a, b))]


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path
