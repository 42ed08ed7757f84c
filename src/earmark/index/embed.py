"""``earmark embed``: every window of a corpus into an index, resumable, incremental and parallel.

The inputs are ``batch``'s (files, folders, globs, manifests, ``hf:`` datasets; long files cut into
spans on the window grid). Kill-safe like ``batch``: the driver writes each finished chunk's windows
to the table tagged with the chunk's number, and only then records the chunk in the journal
(``PATH/embed-journal.jsonl``); a rerun first deletes windows of chunks the journal does not list
(written just before a kill), then does only the units no chunk holds - so every window is in the
table exactly once, with the same id and vector as an uninterrupted run. Files added to the inputs
later are embedded by the next run; an index made with another encoder or other windows is refused.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..batch.inputs import Item, list_inputs, remaining_work
from ..batch.run import BatchSummary
from ..errors import OptionError
from ..io.recordings import Recordings
from ..journal import Journal
from .store import Index, IndexSettings

__all__ = ["EmbedOptions", "EmbedSummary", "embed"]

logger = logging.getLogger("earmark")

JOURNAL = "embed-journal.jsonl"


@dataclass(frozen=True)
class EmbedOptions:
    """One embedding job."""

    encoder: str = "birdnet"
    """A built-in encoder, a transformers audio model (Hub id or folder), or several joined by ``+``."""
    window_s: float | None = None
    """Window length (s); None: the encoder's own (BirdNET 3 s; see ``Encoder.window_s``)."""
    hop_s: float | None = None
    """Step between windows (s); None: half a window."""
    workers: int = 1
    chunk: int = 16
    """Units (files or spans) per chunk: the most a kill can cost, per worker; windows are encoded
    in batches across a chunk's units, so short clips need a chunk of several."""
    ray: bool = False
    address: str | None = None
    cpus_per_worker: float = 1.0
    threads: int | None = None
    """CPU threads per worker (default: the cores divided among the workers)."""
    span_s: float | None = 300.0
    hf: dict[str, Any] | None = None
    recordings: str | None = None
    timezone: str = "UTC"
    build_index: bool = True
    """Build the approximate index when the table is large enough to need one."""

    def __post_init__(self) -> None:
        if self.workers < 1 or self.chunk < 1:
            raise OptionError(f"workers and chunk must be >= 1; got {self.workers}, {self.chunk}")
        for name in ("window_s", "hop_s"):
            value = getattr(self, name)
            if value is not None and not 0.05 <= value <= 600:
                raise OptionError(f"{name}={value!r} is not allowed; use seconds from 0.05 to 600")
        if self.span_s is not None and not self.span_s >= 1.0:
            raise OptionError(f"span_s={self.span_s!r} is not allowed; use seconds >= 1 (or None: no spans)")

    def load_encoder(self, threads: int | None = None) -> Any:
        from ..engines.encoders import load_encoder

        return load_encoder(self.encoder, threads=threads)

    def settings_for(self, encoder: Any, dim: int) -> IndexSettings:
        window = float(self.window_s or encoder.window_s)
        hop = float(self.hop_s or window / 2)
        from ..engines.encoders import WindowEncoder

        native = isinstance(encoder, WindowEncoder) and abs(window - encoder.window_s) < 1e-9
        return IndexSettings(encoder.name, window, hop, dim, int(encoder.sample_rate), std=not native)


@dataclass
class EmbedSummary(BatchSummary):
    windows: int = 0
    """Windows in the index after the run."""
    added: int = 0
    """Windows this run added."""
    ann: bool = False
    """Whether the index searches through an approximate index."""

    @property
    def windows_per_s(self) -> float:
        return self.added / self.wall_s if self.wall_s else 0.0


def embed(
    data: Sequence[str],
    db: str | os.PathLike,
    options: EmbedOptions,
    *,
    progress: Callable[[EmbedSummary], None] | None = None,
) -> EmbedSummary:
    """Embed every window of ``data`` into the index at ``db`` (made if new); resumes a killed run."""
    started = time.perf_counter()
    items = list_inputs(list(data), hf=options.hf)
    if not items:
        raise OptionError("no inputs to embed")
    if any(i.source is not None for i in items) and (options.workers > 1 or options.ray):
        raise OptionError("hf: datasets run in one process (their rows cannot be sent to other processes)")
    index, encoder = _open_index(Path(db), options)
    from .listening import add_roots

    add_roots(index, [i.key for i in items if i.source is None])  # the corpus the review page may read
    journal = Journal(index.path / JOURNAL, index.settings.to_dict())
    chunks_done = journal.read()
    last = max((entry["batch"] for entry in chunks_done.values()), default=0)
    index.drop_batches_after(last)  # windows of a chunk written just before a kill: done again
    done = {unit for entry in chunks_done.values() for unit in entry["units"]}
    units, resumed, chunks = remaining_work(items, options.span_s, done, options.chunk, options.workers)
    summary = EmbedSummary(files=len(items), units=units, resumed=resumed)
    summary.done = summary.resumed
    runner = _ray_chunks if options.ray else _process_chunks if options.workers > 1 else _local_chunks
    recordings = Recordings(options.recordings, tz=options.timezone)  # says what files lack, once per kind
    try:
        for number, (chunk, results) in enumerate(runner(chunks, options, index.settings, encoder), start=last + 1):
            for unit in chunk:
                if unit.source is None:
                    recordings.info(unit.key)
            rows = [row for result in results for row in result["rows"]]
            index.add(rows, batch=number)
            errors = {r["unit"]: r["error"] for r in results if r["error"]}
            journal.append(
                {"key": f"batch-{number}", "batch": number, "units": [i.unit for i in chunk], "errors": errors}
            )
            for unit, error in errors.items():
                logger.warning("embed: %s: %s", unit, error)
            summary.added += len(rows)
            summary.advance(len(chunk), len(errors), sum(_covered_s(r["rows"]) for r in results), started)
            if progress:
                progress(summary)
    finally:
        journal.close()
        recordings.close()
    summary.windows = len(index)
    if options.build_index and summary.added:
        index.build_ann()
    summary.ann = index.has_ann
    summary.wall_s = time.perf_counter() - started
    return summary


def _open_index(db: Path, options: EmbedOptions) -> tuple[Index, Any]:
    """The index (made, or checked against the options, before any encoder is loaded when it exists)."""
    from .store import META

    if (db / META).is_file():
        held = Index(db).settings
        want = IndexSettings(  # Index.create refuses another encoder or other windows, naming what it holds
            options.encoder,
            float(options.window_s or held.window_s),
            float(options.hop_s or (options.window_s / 2 if options.window_s else held.hop_s)),
            held.dim,
            held.sample_rate,
            held.std,
        )
        return Index.create(db, want), None
    import numpy as np

    encoder = options.load_encoder(options.threads)
    silence = np.zeros(round((options.window_s or encoder.window_s) * encoder.sample_rate), np.float32)
    dim = int(encoder.window_stats([silence])[0].shape[1])  # one window of silence tells the width
    return Index.create(db, options.settings_for(encoder, dim)), encoder


def _covered_s(rows: list[dict[str, Any]]) -> float:
    return max(r["end_s"] for r in rows) - min(r["start_s"] for r in rows) if rows else 0.0


def embed_chunk(encoder: Any, chunk: list[Item], settings: IndexSettings, recordings: Recordings) -> list[dict]:
    """Each unit's rows and error, in order."""
    from .embedding import embed_items

    return embed_items(
        encoder, [(item, recordings.info(item.key) if item.source is None else None) for item in chunk], settings
    )


def _local_chunks(chunks, options: EmbedOptions, settings: IndexSettings, encoder: Any) -> Iterator[tuple[list, list]]:
    if not chunks:
        return
    from ..threads import set_torch_threads

    set_torch_threads(options.threads)
    encoder = encoder or options.load_encoder(options.threads)
    recordings = Recordings(options.recordings, tz=options.timezone, quiet=True)
    for chunk in chunks:
        yield chunk, embed_chunk(encoder, chunk, settings, recordings)


_state: dict[str, Any] = {}


def _start(options: EmbedOptions, settings: IndexSettings, threads: int) -> None:
    from ..threads import set_torch_threads

    set_torch_threads(threads)
    _state.update(
        encoder=options.load_encoder(threads),
        settings=settings,
        recordings=Recordings(options.recordings, tz=options.timezone, quiet=True),
    )


def _embed(chunk: list[Item]) -> list[dict]:
    return embed_chunk(_state["encoder"], chunk, _state["settings"], _state["recordings"])


def _process_chunks(chunks, options: EmbedOptions, settings: IndexSettings, encoder: Any) -> Iterator[tuple]:
    import multiprocessing

    from ..batch.workers import threads_per_worker

    if not chunks:
        return
    del encoder  # each worker loads its own
    threads = options.threads or threads_per_worker(options.workers)
    context = multiprocessing.get_context("spawn")
    with context.Pool(options.workers, initializer=_start, initargs=(options, settings, threads)) as pool:
        yield from zip(chunks, pool.imap(_embed, chunks))


class _Embedder:
    """A Ray actor: the encoder loaded once, embedding one chunk per batch."""

    def __init__(self, options: EmbedOptions, settings: IndexSettings, threads: int) -> None:
        _start(options, settings, threads)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import json

        out = [pickle.dumps(_embed([Item.from_json(k) for k in json.loads(keys)])) for keys in batch["keys"]]
        return {"index": list(batch["index"]), "results": out}


def _ray_chunks(chunks, options: EmbedOptions, settings: IndexSettings, encoder: Any) -> Iterator[tuple]:
    import json

    from ..errors import missing_extra

    try:
        import ray
    except ImportError as e:
        raise missing_extra("ray", "ray", "earmark embed --ray") from e
    if not chunks:
        return
    del encoder
    if not ray.is_initialized():
        ray.init(address=options.address, log_to_driver=False, include_dashboard=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    records = [{"index": i, "keys": json.dumps([item.to_json() for item in c])} for i, c in enumerate(chunks)]
    dataset = ray.data.from_items(records, override_num_blocks=len(records)).map_batches(
        _Embedder,
        fn_constructor_args=(options, settings, max(1, int(options.cpus_per_worker))),
        batch_size=1,
        concurrency=options.workers,
        num_cpus=options.cpus_per_worker,
    )
    for row in dataset.iter_rows():
        yield chunks[row["index"]], pickle.loads(row["results"])
