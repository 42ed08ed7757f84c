"""Labelled audio in: folders with one sub-folder per label, labels from file names, CSV/JSONL manifests."""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import OptionError

__all__ = ["LabelledClip", "load_labelled"]

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif", ".aiff", ".webm"}


@dataclass(frozen=True)
class LabelledClip:
    """One clip: where it is, its label, and optionally the part of the file (seconds)."""

    source: str
    label: str
    start_s: float | None = None
    end_s: float | None = None

    @property
    def key(self) -> str:
        """A stable id for resuming: the source and its part."""
        return self.source if self.start_s is None else f"{self.source}#{self.start_s}-{self.end_s}"


def load_labelled(
    data: str | Path,
    *,
    label_pattern: str | None = None,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
) -> list[LabelledClip]:
    """Clips from a folder (label = sub-folder, or the first group of ``label_pattern`` matched against
    the file name) or a ``.csv``/``.jsonl`` manifest (``path,label[,start_s,end_s]``)."""
    path = Path(data)
    if path.is_dir():
        clips = _from_folder(path, label_pattern)
    elif path.suffix.lower() in (".csv", ".jsonl"):
        clips = _from_manifest(path)
    else:
        raise OptionError(f"{data}: not a folder or a .csv/.jsonl manifest")
    if not clips:
        raise OptionError(f"{data}: no labelled audio found")
    if shuffle:
        random.Random(seed).shuffle(clips)
    return clips[:limit] if limit else clips


def _from_folder(folder: Path, label_pattern: str | None) -> list[LabelledClip]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if label_pattern is None:
        return [LabelledClip(str(p), p.relative_to(folder).parts[0]) for p in files if p.parent != folder]
    try:
        pattern = re.compile(label_pattern)
    except re.error as e:
        raise OptionError(f"label pattern {label_pattern!r} is not a valid regular expression ({e})") from e
    if pattern.groups < 1:
        raise OptionError(f"label pattern {label_pattern!r} needs a group for the label, e.g. '^(\\d+)_'")
    clips = []
    for p in files:
        match = pattern.search(p.name)
        if match is None:
            raise OptionError(f"{p.name}: the label pattern {label_pattern!r} does not match this file name")
        clips.append(LabelledClip(str(p), match.group(1)))
    return clips


def _from_manifest(path: Path) -> list[LabelledClip]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    clips = []
    for n, row in enumerate(rows, start=1):
        if not row.get("path") or row.get("label") in (None, ""):
            raise OptionError(f"{path}: row {n} needs 'path' and 'label' (got {sorted(row)})")
        source = Path(row["path"])
        source = source if source.is_absolute() else path.parent / source
        start, end = row.get("start_s"), row.get("end_s")
        clips.append(
            LabelledClip(
                str(source),
                str(row["label"]),
                float(start) if start not in (None, "") else None,
                float(end) if end not in (None, "") else None,
            )
        )
    return clips
