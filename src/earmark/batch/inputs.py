"""What a batch job reads: files, folders (recursive), globs, CSV/JSONL manifests, ``hf:`` datasets."""

from __future__ import annotations

import csv
import glob
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OptionError
from ..io.decode import AUDIO_SUFFIXES, audio_files
from ..spans import SpanInput, span_count

__all__ = ["Item", "chunks_of", "list_inputs", "remaining_work", "split_long"]

MANIFESTS = (".csv", ".jsonl")


@dataclass(frozen=True)
class Item:
    """One unit of work: an input's key in the table (a path, or ``hf:ID#split#i``), what to decode,
    and for a long file, which of its spans this is."""

    key: str
    source: Any = None  # None: the key is a path
    span: SpanInput | None = None

    @property
    def audio_source(self) -> Any:
        if self.span is not None:
            return self.span
        return self.key if self.source is None else self.source

    @property
    def unit(self) -> str:
        """The journal's name for this unit of work."""
        return self.key if self.span is None else self.span.key

    def to_json(self) -> list[Any]:
        span = self.span
        return [self.key] if span is None else [self.key, span.index, span.count, span.span_s]

    @classmethod
    def from_json(cls, data: list[Any]) -> Item:
        key, *span = data
        return cls(key, span=SpanInput(key, *span) if span else None)


def split_long(items: list[Item], span_s: float | None) -> list[Item]:
    """Each file longer than ``span_s`` (by its header) as its spans, in order; the rest as they are."""
    if not span_s:
        return items
    out: list[Item] = []
    for item in items:
        count = span_count(_duration(item.key), span_s) if item.source is None else 1
        out += (
            [item] if count == 1 else [Item(item.key, span=SpanInput(item.key, i, count, span_s)) for i in range(count)]
        )
    return out


def chunks_of(units: list[Item], size: int, workers: int) -> list[list[Item]]:
    """``units`` in chunks of at most ``size``, and small enough that every worker gets about four
    (the 12 spans of one hour-long file make six chunks on two workers, not one)."""
    if workers > 1:
        size = min(size, max(1, -(-len(units) // (workers * 4))))
    return [units[i : i + size] for i in range(0, len(units), size)]


def remaining_work(
    items: list[Item], span_s: float | None, done: set[str], chunk: int, workers: int
) -> tuple[int, int, list[list[Item]]]:
    """A resumable run's plan: how many units (files or spans) in all, how many a journal already
    holds (``done``), and the chunks of the rest."""
    units = split_long(items, span_s)
    todo = [u for u in units if u.unit not in done]
    return len(units), len(units) - len(todo), chunks_of(todo, chunk, workers)


def _duration(path: str) -> float | None:
    """A file's length from its header (None where it cannot be read: the file's unit reports why)."""
    from ..errors import AudioError
    from ..io.blocks import open_stream

    try:
        with open_stream(path) as stream:
            return stream.duration_s
    except (AudioError, OSError):
        return None


def list_inputs(data: list[str], *, hf: dict[str, Any] | None = None) -> list[Item]:
    """Every input, in a stable order (folders sorted), each once."""
    items: list[Item] = []
    for entry in data:
        if entry.startswith("hf:"):
            items += _dataset(entry, hf or {})
            continue
        path = Path(entry)
        if path.is_dir():
            found = audio_files(path)
            if not found:
                raise OptionError(f"{entry}: directory holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
            items += [Item(str(p)) for p in found]
        elif path.suffix.lower() in MANIFESTS and path.is_file():
            items += [Item(p) for p in _manifest(path)]
        elif any(ch in entry for ch in "*?["):
            matched = sorted(glob.glob(entry, recursive=True))
            if not matched:
                raise OptionError(f"{entry}: the pattern matches no files")
            items += [Item(p) for p in matched if Path(p).suffix.lower() in AUDIO_SUFFIXES]
        else:
            items.append(Item(entry))  # a file (or a missing one: it becomes an error row)
    seen: set[str] = set()
    return [i for i in items if not (i.key in seen or seen.add(i.key))]


def _manifest(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    else:
        try:
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except ValueError as e:
            raise OptionError(f"{path}: not a JSONL manifest ({e})") from e
    paths = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("path"):
            raise OptionError(f"{path}: row {n} has no 'path'")
        source = Path(row["path"])
        paths.append(str(source if source.is_absolute() else path.parent / source))
    return paths


def _dataset(entry: str, hf: dict[str, Any]) -> list[Item]:
    from ..io.datasets import load_hf

    name = entry[len("hf:") :]
    chosen = {k: v for k, v in hf.items() if k in ("config", "split", "streaming", "audio_column")}
    clips = load_hf(name, **chosen, label_column=None)  # a batch job needs the audio, not labels
    return [Item(c.source, c.audio) for c in clips]
