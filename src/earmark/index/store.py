"""The embedding index on disk: a LanceDB database folder holding one vector per window.

``PATH/`` holds ``index.json`` (the encoder and its window settings, written once when the index is
made: an index is one encoder's), the ``windows`` table (``id``, ``path``, ``start_s``, ``end_s``,
``recorded_at``, ``site``, ``batch``, ``vector`` and, for encoders with several frames per window,
``std``), and the ``labels`` table (:mod:`earmark.index.labels`). Window ids are stable: a hash of the
file's key and the window's start, so a rerun, a resumed run and an incremental run agree on them.

Search is cosine over ``vector`` (the mean of the encoder's frames in the window): exact below
:data:`ANN_ABOVE` rows, through an IVF-SQ index (built by :meth:`Index.build_ann`) above it, its
candidates re-ranked by exact distance (``refine``) so recall stays high.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomic
from ..errors import OptionError, missing_extra
from .rows import Hit, IndexSettings, window_id

__all__ = ["ANN_ABOVE", "Hit", "Index", "IndexSettings", "window_id"]

META = "index.json"
WINDOWS = "windows"
ANN_ABOVE = 20_000
"""Rows from which ``embed`` builds the approximate index (exact search is fast enough below)."""
NPROBES = 20
REFINE = 10
COLUMNS = ("id", "path", "start_s", "end_s", "recorded_at", "site")


def _lancedb() -> Any:
    try:
        import lancedb
    except ImportError as e:
        raise missing_extra("lancedb", "index", "the embedding index") from e
    return lancedb


class Index:
    """An embedding index folder (``Index(path)`` opens one; :meth:`create` makes one)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        meta = self.path / META
        if not meta.is_file():
            raise OptionError(f"{self.path}: not an earmark index (no {META}); make one with `earmark embed`")
        try:
            self.settings = IndexSettings(**json.loads(meta.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as e:
            raise OptionError(f"{meta}: unreadable index settings ({e})") from e
        self.db = _lancedb().connect(str(self.path))
        self._windows: Any = None
        self._encoder: Any = None

    @property
    def encoder(self) -> Any:
        """The index's encoder (loaded on first use, once), which embeds query clips."""
        if self._encoder is None:
            from ..engines.encoders import load_encoder

            self._encoder = load_encoder(self.settings.encoder)
        return self._encoder

    @classmethod
    def create(cls, path: str | os.PathLike, settings: IndexSettings) -> Index:
        """Open the index at ``path``, making it if it is new; one made with another encoder or other
        windows is refused, naming what it holds."""
        path = Path(path).expanduser()
        meta = path / META
        if meta.is_file():
            index = cls(path)
            held = index.settings
            if held.encoder != settings.encoder:
                raise OptionError(
                    f"{path} holds vectors of encoder {held.encoder!r}; got {settings.encoder!r} "
                    "(use that encoder, or another --db)"
                )
            if held != settings:
                raise OptionError(
                    f"{path} was made with window_s={held.window_s:g}, hop_s={held.hop_s:g}; got "
                    f"window_s={settings.window_s:g}, hop_s={settings.hop_s:g} (use those, or another --db)"
                )
            return index
        if path.exists() and any(path.iterdir()):
            raise OptionError(f"{path} exists and is not an earmark index; give a new or empty folder as --db")
        path.mkdir(parents=True, exist_ok=True)
        write_atomic(meta, json.dumps(settings.to_dict(), indent=1))
        return cls(path)

    # -- the windows table -------------------------------------------------------------------------

    def _schema(self) -> Any:
        import pyarrow as pa

        fields = [
            pa.field("id", pa.string()),
            pa.field("path", pa.string()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("recorded_at", pa.string()),
            pa.field("site", pa.string()),
            pa.field("batch", pa.int64()),
            pa.field("vector", pa.list_(pa.float32(), self.settings.dim)),
        ]
        if self.settings.std:
            fields.append(pa.field("std", pa.list_(pa.float32(), self.settings.dim)))
        return pa.schema(fields)

    @property
    def windows(self) -> Any:
        """The LanceDB table of windows (made empty on first use)."""
        if self._windows is None:
            if WINDOWS in self.db.list_tables().tables:
                self._windows = self.db.open_table(WINDOWS)
            else:
                self._windows = self.db.create_table(WINDOWS, schema=self._schema(), exist_ok=True)
        return self._windows

    def __len__(self) -> int:
        return self.windows.count_rows()

    def add(self, rows: Sequence[Mapping[str, Any]], batch: int) -> None:
        """Append windows (dicts with the table's columns; ``vector``/``std`` as arrays), all tagged with
        ``batch`` so a run killed after this write and before its journal line can drop them."""
        if not rows:
            return
        import pyarrow as pa

        dim = self.settings.dim
        columns: dict[str, Any] = {name: [r.get(name) for r in rows] for name in COLUMNS}
        columns["batch"] = [batch] * len(rows)
        for name in ("vector", "std") if self.settings.std else ("vector",):
            flat = np.concatenate([np.asarray(r[name], np.float32).reshape(dim) for r in rows])
            columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(flat), dim)
        self.windows.add(pa.table(columns, schema=self._schema()))

    def drop_batches_after(self, batch: int) -> None:
        """Delete windows written by batches after ``batch`` (the last one a journal recorded)."""
        if len(self):
            self.windows.delete(f"batch > {int(batch)}")

    def rows(self, where: str | None = None, columns: Sequence[str] = COLUMNS, limit: int | None = None) -> list[dict]:
        """Windows matching an SQL filter, as dicts (``columns`` only)."""
        query = self.windows.search().select(list(columns))
        if where:
            query = query.where(_checked_where(where))
        return query.limit(limit or max(1, len(self))).to_arrow().to_pylist()

    def by_ids(self, ids: Iterable[str], columns: Sequence[str] = COLUMNS) -> dict[str, dict[str, Any]]:
        """The windows with these ids (those that exist), by id."""
        wanted = sorted(set(ids))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            listed = ", ".join(_quote(x) for x in wanted[i : i + 500])
            for row in self.rows(f"id IN ({listed})", columns=tuple(columns) + ("id",) * ("id" not in columns)):
                out[row["id"]] = row
        return out

    def features(self, ids: Sequence[str]) -> np.ndarray:
        """Each window's pooled features as a trained head sees them: ``[mean, std]`` (zeros for the std
        of single-frame windows), ``(len(ids), 2 * dim)``; an unknown id is an error."""
        cols = ("id", "vector", "std") if self.settings.std else ("id", "vector")
        found = self.by_ids(ids, cols)
        missing = [i for i in ids if i not in found]
        if missing:
            raise OptionError(f"window id {missing[0]!r} is not in {self.path} ({len(missing)} unknown)")
        mean = np.array([found[i]["vector"] for i in ids], np.float32).reshape(len(ids), self.settings.dim)
        std = np.array([found[i]["std"] for i in ids], np.float32) if self.settings.std else np.zeros_like(mean)
        return np.hstack([mean, std.reshape(mean.shape)])

    def all_vectors(self, where: str | None = None) -> tuple[list[str], np.ndarray]:
        """Every window's id and unit-length vector (for active learning over the whole corpus)."""
        query = self.windows.search().select(["id", "vector"])
        if where:
            query = query.where(_checked_where(where))
        table = query.limit(max(1, len(self))).to_arrow()
        vectors = np.asarray(table["vector"].combine_chunks().flatten(), np.float32).reshape(-1, self.settings.dim)
        return table["id"].to_pylist(), vectors

    # -- search -------------------------------------------------------------------------------------

    def search(
        self,
        examples: Sequence[str] = (),
        *,
        negatives: Sequence[str] = (),
        text: str | None = None,
        top_k: int = 50,
        where: str | None = None,
    ) -> list[Hit]:
        """Windows nearest the examples (``FILE``, ``FILE@START-END``, ``id:WINDOW``) and/or a text
        (CLAP encoders), negatives pushing away; best first (see :mod:`earmark.index.query`)."""
        from .query import search

        return search(self, examples, negatives=negatives, text=text, top_k=top_k, where=where)

    def nearest(
        self, query: np.ndarray, *, top_k: int = 50, where: str | None = None, exact: bool | None = None
    ) -> list[Hit]:
        """The ``top_k`` windows nearest ``query`` by cosine (score = cosine similarity); ``exact``
        None: through the approximate index when there is one."""
        query = np.asarray(query, np.float32).reshape(-1)
        if query.shape[0] != self.settings.dim:
            raise OptionError(f"a query vector has {query.shape[0]} values; this index holds {self.settings.dim}")
        if top_k < 1:
            raise OptionError(f"top_k={top_k} is not allowed; use 1 or more")
        search = self.windows.search(query, vector_column_name="vector").distance_type("cosine").limit(top_k)
        search = search.select([*COLUMNS, "_distance"])
        if where:
            search = search.where(_checked_where(where), prefilter=True)
        if exact or (exact is None and not self.has_ann):
            search = search.bypass_vector_index()
        else:
            search = search.nprobes(NPROBES).refine_factor(REFINE)
        rows = search.to_arrow().to_pylist()
        return [
            Hit(r["id"], r["path"], r["start_s"], r["end_s"], 1.0 - float(r["_distance"]), r["recorded_at"], r["site"])
            for r in rows
        ]

    @property
    def has_ann(self) -> bool:
        return any(ix.index_type.startswith("IVF") for ix in self.windows.list_indices())

    def _partitions(self) -> int:
        return max(16, int(math.sqrt(len(self))))

    def build_ann(self, *, force: bool = False) -> bool:
        """Build (or rebuild) the IVF-SQ index over ``vector`` (``sqrt(rows)`` partitions, 8-bit scalar
        quantisation) when the table has :data:`ANN_ABOVE` rows or more (``force``: whatever its size).
        Searches probe :data:`NPROBES` partitions and re-rank ``REFINE`` x ``top_k`` candidates by their
        exact distance. Returns whether it built one."""
        from lancedb.index import IvfSq

        rows = len(self)
        if not force and rows < ANN_ABOVE:
            return False
        if not force and self.has_ann:  # new rows join the index's partitions (no retraining)
            self.windows.optimize()
            return True
        config = IvfSq(distance_type="cosine", num_partitions=min(self._partitions(), max(1, rows // 40)))
        self.windows.create_index("vector", config=config, replace=True)
        return True


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _checked_where(where: str) -> str:
    """An SQL filter over the window columns, refused in one line if it cannot be one."""
    if not isinstance(where, str) or not where.strip() or ";" in where:
        raise OptionError(f"--where {where!r} is not allowed; give one SQL condition, e.g. \"site = 'A'\"")
    return where
