"""A resume journal: a JSONL file of finished work, bound to a fingerprint of what changes results.

The first line is a header ``{"earmark_journal": 1, "fingerprint": ..., "settings": {...}}``; each
further line is one finished item. A journal written with other settings (another model, engine,
compute type or options) is refused, never mixed in; a last line cut off by a crash is dropped (the
file is rewritten atomically without it) and its item done again; a damaged line elsewhere is an
error naming the file and the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .errors import OptionError
from .hashing import fingerprint

__all__ = ["Journal"]

VERSION = 1


class Journal:
    """Append-only JSONL of finished items keyed by ``key``, for one set of ``settings``."""

    def __init__(self, path: str | os.PathLike, settings: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self.settings = dict(settings)
        self.fingerprint = fingerprint(self.settings)
        self._sink: Any = None

    def read(self) -> dict[str, dict[str, Any]]:
        """Finished items by key (empty for a new journal); refuses one written with other settings."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return {}
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        complete = raw.endswith(b"\n")
        if not complete:  # the last line was cut off by a crash: drop it, its item is done again
            lines, raw = lines[:-1], b"\n".join(lines[:-1]) + (b"\n" if len(lines) > 1 else b"")
            self._replace(raw)
        rows: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise OptionError(
                    f"{self.path}: line {number} is not valid JSON ({e}); delete that line (or the file) to go on"
                ) from e
            if number == 1:
                self._check_header(row)
                continue
            if not isinstance(row, dict) or "key" not in row:
                raise OptionError(f"{self.path}: line {number} has no 'key'; this is not an earmark journal")
            rows[row["key"]] = row
        return rows

    def _check_header(self, header: Any) -> None:
        if not isinstance(header, dict) or header.get("earmark_journal") != VERSION:
            raise OptionError(f"{self.path}: not an earmark resume journal (no header line); use another file")
        if header.get("fingerprint") != self.fingerprint:
            theirs = header.get("settings") or {}
            changed = sorted(k for k in set(theirs) | set(self.settings) if theirs.get(k) != self.settings.get(k))
            raise OptionError(
                f"{self.path} was written with other settings (changed: {', '.join(changed) or 'unknown'}); "
                "its results would mix with these: use another resume file, or delete this one to start over"
            )

    def _replace(self, data: bytes) -> None:
        write_atomic(self.path, data)

    def append(self, row: Mapping[str, Any]) -> None:
        """Write one finished item (with the header first, for a new journal); flushed at once."""
        if self._sink is None:
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._sink = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
            if new:
                header = {"earmark_journal": VERSION, "fingerprint": self.fingerprint, "settings": self.settings}
                self._sink.write(json.dumps(header, default=str) + "\n")
        self._sink.write(json.dumps(row) + "\n")
        self._sink.flush()

    def close(self) -> None:
        if self._sink is not None:
            os.fsync(self._sink.fileno())
            self._sink.close()
            self._sink = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
