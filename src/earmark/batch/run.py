"""A batch job: inputs -> chunks -> shards -> one table.

Kill-safe by construction: each chunk of finished inputs is written as a shard (atomically, with
``os.replace``) and only then recorded in the journal (``OUT.parts/journal.jsonl``, bound to a
fingerprint of the model and every option that changes results). A rerun of the same command reads
the journal, drops shards it does not list (written just before a kill), and does only what is left;
nothing is lost and nothing is done twice. The table is merged from the shards, in input order.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import OptionError
from ..hashing import file_signature
from ..io.recordings import Recordings
from ..journal import Journal
from ..options import ClassifyOptions, LoadOptions
from ..registry import parse_ref
from ..threads import set_torch_threads
from .inputs import Item, list_inputs, remaining_work
from .table import classify_chunk, export_labels, joined_rows, with_when_and_where, write_table

__all__ = ["BatchOptions", "BatchSummary", "run_batch"]

logger = logging.getLogger("earmark")

Progress = Callable[["BatchSummary"], None]


@dataclass(frozen=True)
class BatchOptions:
    """One batch job."""

    model: str
    """Anything ``earmark.load`` takes (``M@onnx-int8`` included)."""
    load: LoadOptions = field(default_factory=LoadOptions)
    """How each worker loads the model (engine, precision, device, zero-shot labels, engine options);
    ``threads`` there is per worker (default: the cores divided among the workers)."""
    classify: ClassifyOptions | None = None
    """How to classify; None: the model's own defaults (e.g. vote pooling for language ID, max pooling
    and a 0.1 threshold for BirdNET) with ``changes`` applied."""
    changes: dict[str, Any] = field(default_factory=dict)
    """:class:`ClassifyOptions` fields set over ``classify`` (or the model's defaults)."""
    workers: int = 1
    """Local processes, each with the model loaded once; or Ray actors with ``ray``."""
    chunk: int = 16
    """Inputs per shard (and per task): what a kill can cost at most, per worker."""
    ray: bool = False
    address: str | None = None
    """A Ray cluster (``auto``, ``ray://host:port``); None starts a local one."""
    cpus_per_worker: float = 1.0
    export: str | None = None
    """``raven`` or ``audacity``: a label file per input, beside the table."""
    restart: bool = False
    """Start over even when a journal with other settings is there."""
    hf: dict[str, Any] | None = None
    span_s: float | None = 300.0
    """Files longer than this are cut into spans of this length (on the model's window grid), each
    its own unit of work and of the journal; None: every file is one unit."""
    recordings: str | None = None
    """A recordings CSV (``path, site, lat, lon, start, timezone``) over the files' own metadata."""
    timezone: str = "UTC"
    """The time zone of start times that carry no offset (bext, file names)."""

    def __post_init__(self) -> None:
        if self.workers < 1 or self.chunk < 1:
            raise OptionError(f"workers and chunk must be >= 1; got {self.workers}, {self.chunk}")
        if self.span_s is not None and not 1.0 <= self.span_s < float("inf"):
            raise OptionError(f"span_s={self.span_s!r} is not allowed; use seconds >= 1 (or None: no spans)")
        (self.classify or ClassifyOptions()).replace(**self.changes)  # bad options fail before any work
        ref = parse_ref(self.model)
        object.__setattr__(self, "load", ref.options(self.load))  # the @engine suffix, checked once
        object.__setattr__(self, "model", ref.text.rpartition("@")[0] if ref.engine else ref.text)

    @property
    def threads(self) -> int | None:
        return self.load.threads

    def options_for(self, classifier: Any) -> ClassifyOptions:
        """The options a loaded classifier runs with."""
        return (self.classify or classifier.default_options).replace(**self.changes)

    def settings(self) -> dict[str, Any]:
        """Everything that changes the table: the journal's fingerprint is taken over this."""
        load = self.load
        return {
            "model": self.model,
            "files": file_signature(self.model),
            "engine": load.engine,
            "compute_type": load.compute_type or "float32",
            "labels": list(load.labels) if load.labels else None,
            "template": load.template,
            "options": {k: v for k, v in asdict(self.classify).items() if k not in ("readahead", "batch_size")}
            if self.classify
            else None,
            "changes": {k: v for k, v in self.changes.items() if k not in ("readahead", "batch_size")},
            "engine_options": dict(load.engine_options),
            "recordings": file_signature(self.recordings) if self.recordings else None,
            "timezone": self.timezone,
            "span_s": self.span_s,
            "calibration": self._calibration_signature(),
        }

    def _calibration_file(self) -> str | None:
        from ..calibration import FILE_NAME, OFF

        given = self.load.calibration
        if given is not None:
            return None if given.strip().lower() == OFF else given
        own = Path(parse_ref(self.model).target) / FILE_NAME
        return str(own) if own.is_file() else None

    def _calibration_signature(self) -> Any:
        path = self._calibration_file()
        return file_signature(path) if path else None

    def thresholds_note(self) -> str | None:
        """Which thresholds the run applies, in one line (the calibration file is read, no model loaded)."""
        from ..calibration import Calibration, thresholds_note

        path = self._calibration_file()
        threshold = self.changes.get("threshold", self.classify.threshold if self.classify else None)
        return thresholds_note(Calibration.read(path) if path else None, threshold)

    def recordings_info(self, *, quiet: bool = False) -> Recordings:
        """When and where each file was recorded (its metadata, name, and the recordings CSV); the
        driver says what each file lacks, workers (``quiet``) do not say it again."""
        return Recordings(self.recordings, tz=self.timezone, quiet=quiet)

    def load_model(self, threads: int | None = None) -> Any:
        """The model as one worker runs it, with ``threads`` CPU threads."""
        from ..registry import load

        return load(self.model, self.load.replace(threads=threads))


@dataclass
class BatchSummary:
    files: int = 0
    units: int = 0
    """Units of work: a file, or a span of a long one."""
    done: int = 0
    errors: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0
    resumed: int = 0
    """Units a previous run had finished."""

    @property
    def real_time_factor(self) -> float:
        return self.wall_s / self.audio_s if self.audio_s else 0.0

    def advance(self, units: int, errors: int, audio_s: float, started: float) -> None:
        """Count a finished chunk (``started``: the run's ``time.perf_counter()`` at its start)."""
        self.done += units
        self.errors += errors
        self.audio_s += audio_s
        self.wall_s = time.perf_counter() - started

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "audio_hours": self.audio_s / 3600,
            "x_real_time": 1 / self.real_time_factor if self.audio_s and self.wall_s else 0.0,
        }


def run_batch(
    data: Sequence[str], out: str | os.PathLike, options: BatchOptions, *, progress: Progress | None = None
) -> BatchSummary:
    """Classify every input into ``out`` (.parquet, .jsonl or .csv); resumes a killed run."""
    started = time.perf_counter()
    out = Path(out)
    parts = out.with_name(out.name + ".parts")
    items = list_inputs(list(data), hf=options.hf)
    if not items:
        raise OptionError("no inputs to classify")
    journal = _journal(parts, options)
    shards = journal.read()
    _drop_orphans(parts, shards)
    done = {key for entry in shards.values() for key in entry["keys"]}
    units, resumed, chunks = remaining_work(items, options.span_s, done, options.chunk, options.workers)
    summary = BatchSummary(files=len(items), units=units, resumed=resumed)
    summary.done = summary.resumed
    if any(i.source is not None for i in items) and (options.workers > 1 or options.ray):
        raise OptionError("hf: datasets run in one process (their rows cannot be sent to other processes)")
    runner = _ray_chunks if options.ray else _process_chunks if options.workers > 1 else _local_chunks
    number = len(shards)
    recordings = options.recordings_info()
    try:
        for chunk, rows in runner(chunks, options):
            rows = with_when_and_where(rows, recordings)
            number += 1
            name = f"shard-{number:06d}.jsonl"
            write_atomic(parts / name, "".join(json.dumps(r) + "\n" for r in rows))
            journal.append({"key": name, "keys": [i.unit for i in chunk]})  # recorded only once it is on disk
            summary.advance(len(chunk), sum(1 for r in rows if r.get("error")), sum(_audio_s(r) for r in rows), started)
            if progress:
                progress(summary)
    finally:
        journal.close()
        recordings.close()
    rows = _merge(parts, journal, items, recordings)
    summary.errors = sum(1 for r in rows if r["error"])
    metadata = {
        "settings": options.settings(),
        "columns": list(rows[0]) if rows else [],
        "files": len(items),
        "thresholds": options.thresholds_note(),
    }
    write_table(rows, out, metadata)
    if options.export:
        export_labels(
            [r for r in rows if not r["error"]], out.with_name(out.stem + f".{options.export}"), options.export
        )
    summary.wall_s = time.perf_counter() - started
    return summary


def _journal(parts: Path, options: BatchOptions) -> Journal:
    journal = Journal(parts / "journal.jsonl", options.settings())
    if options.restart and parts.exists():
        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    try:
        journal.read()
    except OptionError as e:
        raise OptionError(f"{e} (or pass --restart)") from e
    return journal


def _drop_orphans(parts: Path, shards: dict[str, Any]) -> None:
    """A shard on disk that the journal does not list was written just before a kill: done again."""
    for path in parts.glob("shard-*.jsonl"):
        if path.name not in shards:
            path.unlink()
    for path in parts.glob("*.partial"):
        path.unlink()


def _audio_s(line: dict[str, Any]) -> float:
    """Seconds of audio a shard line accounts for: a file's rank-1 row, or a span's first window's
    start to its last window's end."""
    if "result" in line:
        state = line["result"]["state"]
        return state["end_s"] - state["head"]["start_s"] if state["head"] else 0.0
    return (line.get("end_s") or 0.0) if line.get("level") == "file" and line.get("rank") == 1 else 0.0


def _merge(parts: Path, journal: Journal, items: list[Item], recordings: Recordings) -> list[dict[str, Any]]:
    """The table in input order, each long file's spans joined into its rows."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    spans: dict[str, list[dict[str, Any]]] = {}
    card = None
    for name in journal.read():
        for line in (parts / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "model" in row:
                card = row["model"]
            elif "span" in row:
                spans.setdefault(row["path"], []).append(row)
            else:
                by_key.setdefault(row["path"], []).append(row)
    rows = []
    for item in items:
        if item.key in spans:
            rows += with_when_and_where(joined_rows(item.key, spans.pop(item.key), card), recordings)
        else:
            rows += by_key.get(item.key, [])
    return rows


def _local_chunks(chunks: list[list[Item]], options: BatchOptions) -> Iterator[tuple[list[Item], list[dict]]]:
    if not chunks:
        return
    set_torch_threads(options.threads)
    classifier = options.load_model(threads=options.threads)
    recordings = options.recordings_info(quiet=True)
    for chunk in chunks:
        yield chunk, classify_chunk(classifier, chunk, options.options_for(classifier), recordings)


def _process_chunks(chunks: list[list[Item]], options: BatchOptions) -> Iterator[tuple[list[Item], list[dict]]]:
    from .workers import process_chunks

    yield from process_chunks(chunks, options)


def _ray_chunks(chunks: list[list[Item]], options: BatchOptions) -> Iterator[tuple[list[Item], list[dict]]]:
    from .on_ray import ray_chunks

    yield from ray_chunks(chunks, options)
