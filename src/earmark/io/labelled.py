"""Labelled audio in: folders with one sub-folder per label, labels from file names, CSV/JSONL manifests,
JSON label files, and Hugging Face datasets (``hf:``, in :mod:`earmark.io.datasets`)."""

from __future__ import annotations

import csv
import json
import logging
import random
import re
from pathlib import Path
from typing import Any

from ..errors import OptionError
from .clips import LabelledClip
from .decode import AUDIO_SUFFIXES, audio_files

logger = logging.getLogger("earmark")

__all__ = ["LabelledClip", "load_labelled"]

HF_PREFIX = "hf:"


def load_labelled(
    data: str | Path,
    *,
    label_pattern: str | None = None,
    label_field: str | None = None,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    hf: dict[str, Any] | None = None,
) -> list[LabelledClip]:
    """Clips from a folder (label = sub-folder, or the first group of ``label_pattern`` matched against
    the file name), a ``.csv``/``.jsonl`` manifest (``path,label[,start_s,end_s]``), a ``.json`` label
    file ``{file: label}`` or ``{file: {...}}`` with ``label_field`` naming the (dotted) field, e.g.
    ``slots.coffeeDrink`` (files are found next to it or in its sub-folders), or a Hugging Face
    dataset: ``hf:ID`` or ``hf:audiofolder:DIR`` (``hf`` holds ``config``, ``split``, ``streaming``,
    ``label_column``, ``audio_column``)."""
    if str(data).startswith(HF_PREFIX):
        from .datasets import load_hf

        return load_hf(str(data)[len(HF_PREFIX) :], limit=limit, shuffle=shuffle, seed=seed, **(hf or {}))
    path = Path(data)
    if path.is_dir():
        clips = _from_folder(path, label_pattern)
    elif path.suffix.lower() in (".csv", ".jsonl"):
        clips = _from_manifest(path)
    elif path.suffix.lower() == ".json" and path.is_file():
        clips = _from_label_file(path, label_field)
    else:
        raise OptionError(f"{data}: not a folder, a .csv/.jsonl manifest or a .json label file")
    if not clips:
        raise OptionError(f"{data}: no labelled audio found")
    if shuffle:
        random.Random(seed).shuffle(clips)
    return stratified(clips, limit) if limit else clips


def stratified(clips: list[LabelledClip], limit: int) -> list[LabelledClip]:
    """At most ``limit`` clips taking each label in turn (in the clips' order within a label), so a
    limit on a label-sorted folder is a sample of every label, not the first label's clips."""
    by_label: dict[str, list[LabelledClip]] = {}
    for clip in clips:
        by_label.setdefault(clip.label, []).append(clip)
    picked: list[LabelledClip] = []
    queues = [iter(group) for group in by_label.values()]
    while queues and len(picked) < limit:
        for queue in list(queues):
            clip = next(queue, None)
            if clip is None:
                queues.remove(queue)
            elif len(picked) < limit:
                picked.append(clip)
    order = {id(c): i for i, c in enumerate(clips)}
    return sorted(picked, key=lambda c: order[id(c)])


def _from_folder(folder: Path, label_pattern: str | None) -> list[LabelledClip]:
    files = audio_files(folder)
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


def _from_label_file(path: Path, label_field: str | None) -> list[LabelledClip]:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise OptionError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(table, dict):
        raise OptionError(f"{path}: a label file maps file names to labels or records; got a {type(table).__name__}")
    by_name = {p.name: p for p in path.parent.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES}
    clips, unlabelled = [], 0
    for name, record in table.items():
        label = record
        for key in label_field.split(".") if label_field else ():
            label = label.get(key) if isinstance(label, dict) else None
        if isinstance(label, dict) or (label_field is None and not isinstance(label, str)):
            raise OptionError(f"{path}: {name} maps to a record; pass label_field (e.g. 'slots.coffeeDrink')")
        if label in (None, ""):
            unlabelled += 1
            continue
        source = path.parent / name if (path.parent / name).is_file() else by_name.get(Path(name).name)
        if source is None:
            raise OptionError(f"{path}: {name} is not next to it or in its sub-folders")
        clips.append(LabelledClip(str(source), str(label).strip()))
    if unlabelled:
        logger.warning("%s: %d of %d files have no %r and are left out", path, unlabelled, len(table), label_field)
    return sorted(clips, key=lambda c: c.source)
