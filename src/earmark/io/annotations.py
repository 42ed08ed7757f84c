"""Annotations of long recordings: Raven selection tables, Audacity label tracks and CSV
(``path,start_s,end_s,label``), read into :class:`Annotation` rows per recording."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import OptionError

__all__ = ["RAVEN_LABELS", "Annotation", "raven_rows", "read_annotations"]

# Raven tables name their label column in several ways (BirdNET writes "Species Code"/"Common Name")
RAVEN_LABELS = ("Label", "label", "Annotation", "Species", "Common Name", "Class", "Sound Type", "Species Code")
SUFFIXES = (".txt", ".csv", ".tsv")


@dataclass(frozen=True)
class Annotation:
    """One annotated event: which recording, what, and when (seconds from its start)."""

    path: str
    label: str
    start_s: float
    end_s: float


def read_annotations(given: Sequence[str | Path], recordings: Sequence[str]) -> dict[str, list[Annotation]]:
    """Every annotation in ``given`` (files, or folders of them), keyed by the recording it belongs to
    (one of ``recordings``, matched by path or by file name without extension). A file naming no
    recording, or a bad row, is an :class:`OptionError`."""
    by_stem = {Path(r).name.split(".")[0]: r for r in recordings}
    by_path = {str(Path(r).resolve()): r for r in recordings}
    files: list[Path] = []
    for item in map(Path, given):
        if item.is_dir():
            files += sorted(p for p in item.rglob("*") if p.suffix.lower() in SUFFIXES)
        elif item.is_file():
            files.append(item)
        else:
            raise OptionError(f"annotations {str(item)!r} do not exist")
    out: dict[str, list[Annotation]] = {r: [] for r in recordings}
    for file in files:
        for name, label, start, end, where in _rows(file):
            recording = by_path.get(str(Path(name).resolve())) or by_stem.get(Path(name).name.split(".")[0])
            if recording is None:
                raise OptionError(f"{where}: recording {name!r} is not one of those given ({len(recordings)})")
            if not end >= start >= 0:
                raise OptionError(f"{where}: start {start} and end {end} are not 0 <= start <= end")
            out[recording].append(Annotation(recording, label, start, end))
    return {r: sorted(a, key=lambda x: (x.start_s, x.label)) for r, a in out.items()}


def _rows(file: Path):
    text = file.read_text(encoding="utf-8-sig")
    first = text.partition("\n")[0]
    if "Begin Time (s)" in first:
        yield from _raven(file, text)
    elif file.suffix.lower() == ".csv" or first.replace(" ", "").lower().startswith("path,"):
        reader = csv.DictReader(text.splitlines())
        need = {"path", "start_s", "end_s", "label"}
        if not need <= set(reader.fieldnames or ()):
            raise OptionError(f"{file}: columns {reader.fieldnames} are not path,start_s,end_s,label")
        for n, row in enumerate(reader, start=2):
            yield row["path"], row["label"].strip(), *_times(row["start_s"], row["end_s"], f"{file}:{n}"), f"{file}:{n}"
    else:  # an Audacity label track: start<TAB>end<TAB>label, named after its recording
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("\\"):  # "\\" lines hold a label's frequency range
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                raise OptionError(f"{file}:{n}: an Audacity label line is start<TAB>end<TAB>label; got {line[:80]!r}")
            yield file.name, parts[2].strip(), *_times(parts[0], parts[1], f"{file}:{n}"), f"{file}:{n}"


def raven_rows(file: Path, text: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A Raven selection table's selections (each once, not once per view) as ``(where, row)``:
    ``path`` (its ``Begin Path``/``Begin File``, else the table's own file name), ``start_s``,
    ``end_s``, ``label`` and ``positive`` (a column some tables add), as text."""
    reader = csv.DictReader(text.splitlines(), delimiter="\t")
    fields = reader.fieldnames or []
    column = next((c for c in RAVEN_LABELS if c in fields), None)
    if column is None:
        raise OptionError(f"{file}: a Raven table with no label column; expected one of {', '.join(RAVEN_LABELS)}")
    path_column = next((c for c in ("Begin Path", "Begin File") if c in fields), None)
    for n, row in enumerate(reader, start=2):
        if row.get("View", "").startswith("Waveform"):  # Raven lists a selection once per view
            continue
        yield (
            f"{file}:{n}",
            {
                "path": (row.get(path_column) if path_column else None) or file.name,
                "start_s": row["Begin Time (s)"],
                "end_s": row["End Time (s)"],
                "label": row[column],
                "positive": row.get("positive"),
            },
        )


def _raven(file: Path, text: str):
    for where, row in raven_rows(file, text):
        yield row["path"], row["label"].strip(), *_times(row["start_s"], row["end_s"], where), where


def _times(start: str, end: str, where: str) -> tuple[float, float]:
    try:
        return float(start), float(end)
    except (TypeError, ValueError) as e:
        raise OptionError(f"{where}: times {start!r}, {end!r} are not numbers of seconds") from e
