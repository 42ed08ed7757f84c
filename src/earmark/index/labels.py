"""Labels kept in the index: the ``labels`` table, an append-only log of decisions.

Each row is one decision on one window: ``id``, ``label``, ``positive`` (true: the window holds the
label; false: it does not - a reviewed negative; null: the decision was withdrawn, e.g. an undo),
``source`` (``import``, ``review``, ...) and ``time``. A window's label is its latest decision for
that label. Writes go through a lock file, so two writers at once (two review tabs, an import beside
a review) lose nothing, and each write is one LanceDB commit: a write is all there or not at all.

Imports take CSV/JSONL rows ``id,label[,positive]`` or ``path,start_s,end_s,label[,positive]`` (a
time range labels every window of that file overlapping it by at least half the window or half the
range, whichever is shorter) and Raven selection tables.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import OptionError
from .store import Index

__all__ = ["Decision", "Labels", "import_labels"]

TABLE = "labels"
TRUE = {"1", "true", "yes", "y", "positive", "pos", "+"}
FALSE = {"0", "false", "no", "n", "negative", "neg", "-"}


@dataclass(frozen=True)
class Decision:
    """The current decision on one (window, label)."""

    id: str
    label: str
    positive: bool
    source: str
    time: str
    seq: int = 0
    """Its place in the labels log (later decisions have larger numbers)."""


class Labels:
    """The labels of an index (``Labels(index)``)."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def _table(self) -> Any:
        import pyarrow as pa

        db = self.index.db
        if TABLE in db.list_tables().tables:
            return db.open_table(TABLE)
        schema = pa.schema(
            [
                pa.field("id", pa.string()),
                pa.field("label", pa.string()),
                pa.field("positive", pa.bool_()),
                pa.field("source", pa.string()),
                pa.field("time", pa.string()),
                pa.field("seq", pa.int64()),
            ]
        )
        return db.create_table(TABLE, schema=schema, exist_ok=True)

    def add(self, decisions: Iterable[tuple[str, str, bool | None]], *, source: str = "api") -> int:
        """Append decisions ``(window id, label, positive or None to withdraw)``; ids not in the index
        are refused (nothing is written). Returns the number written."""
        import pyarrow as pa
        from filelock import FileLock

        rows = [(str(i), _label(label), positive) for i, label, positive in decisions]
        if not rows:
            return 0
        known = self.index.by_ids({i for i, _, _ in rows}, ("id",))
        unknown = sorted({i for i, _, _ in rows if i not in known})
        if unknown:
            raise OptionError(f"window id {unknown[0]!r} is not in {self.index.path} ({len(unknown)} unknown ids)")
        stamp = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        with FileLock(str(self.index.path / "labels.lock")):
            seq = time.time_ns()
            table = pa.table(
                {
                    "id": [r[0] for r in rows],
                    "label": [r[1] for r in rows],
                    "positive": [r[2] for r in rows],
                    "source": [source] * len(rows),
                    "time": [stamp] * len(rows),
                    "seq": [seq + n for n in range(len(rows))],
                }
            )
            self._table().add(table)
        return len(rows)

    def undo(self, wid: str, label: str, *, source: str = "undo") -> bool | None:
        """Take back the latest decision on (window, label) not yet taken back: it returns to the value
        before it (withdrawn if there was none). Returns the restored value."""
        stack: list[bool | None] = []
        for r in self.log():
            if r["id"] == wid and r["label"] == label:
                if r["source"] == source:
                    stack and stack.pop()
                else:
                    stack.append(r["positive"])
        if not stack:
            raise OptionError(f"window {wid!r} has no decision on {label!r} to undo")
        stack.pop()
        previous = stack[-1] if stack else None
        self.add([(wid, label, previous)], source=source)
        return previous

    def log(self) -> list[dict[str, Any]]:
        """Every decision ever written, oldest first."""
        table = self._table()
        rows = table.search().limit(max(1, table.count_rows())).to_arrow().to_pylist() if table.count_rows() else []
        return sorted(rows, key=lambda r: r["seq"])

    def current(self) -> dict[tuple[str, str], Decision]:
        """The latest decision per (window, label), withdrawn ones left out."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.log():
            latest[(row["id"], row["label"])] = row
        return {
            key: Decision(r["id"], r["label"], bool(r["positive"]), r["source"], r["time"], int(r["seq"]))
            for key, r in latest.items()
            if r["positive"] is not None
        }

    def counts(self) -> dict[str, dict[str, int]]:
        """``{label: {"positive": n, "negative": m}}`` over the current decisions."""
        out: dict[str, dict[str, int]] = {}
        for d in self.current().values():
            entry = out.setdefault(d.label, {"positive": 0, "negative": 0})
            entry["positive" if d.positive else "negative"] += 1
        return dict(sorted(out.items()))

    def export(self, out: str | Path, *, raven: bool = False) -> int:
        """The current decisions with their windows: a CSV/JSONL manifest (``path,start_s,end_s,label,
        positive,id``, which ``earmark train`` reads), or with ``raven`` a folder of selection tables
        (one per file, positives only). Returns the rows or files written."""
        from ..atomic import write_atomic

        decisions = sorted(self.current().values(), key=lambda d: (d.id, d.label))
        windows = self.index.by_ids({d.id for d in decisions})
        rows = [
            {
                **{k: windows[d.id][k] for k in ("path", "start_s", "end_s")},
                "label": d.label,
                "positive": d.positive,
                "id": d.id,
            }
            for d in decisions
        ]
        rows.sort(key=lambda r: (r["path"], r["start_s"], r["label"]))
        out = Path(out)
        if raven:
            return _write_raven([r for r in rows if r["positive"]], out)
        if out.suffix == ".jsonl":
            write_atomic(out, "".join(json.dumps(r) + "\n" for r in rows))
        elif out.suffix == ".csv":
            import io

            text = io.StringIO()
            writer = csv.DictWriter(text, ["path", "start_s", "end_s", "label", "positive", "id"])
            writer.writeheader()
            writer.writerows(rows)
            write_atomic(out, text.getvalue())
        else:
            raise OptionError(f"labels export to {out.name!r}: use a .csv or .jsonl file, or --raven FOLDER")
        return len(rows)


def _label(label: Any) -> str:
    text = str(label).strip() if label is not None else ""
    if not text or len(text) > 200 or any(c in text for c in "\n\r\t"):
        raise OptionError(f"label {label!r} is not allowed; use a non-empty name of one line (up to 200 characters)")
    return text


def _positive(value: Any, where: str) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise OptionError(f"{where}: positive={value!r} is not allowed; use true/false (or 1/0)")


def _write_raven(rows: list[dict[str, Any]], folder: Path) -> int:
    from ..atomic import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    by_path: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_path.setdefault(r["path"], []).append(r)
    header = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLabel\tBegin Path\n"
    for path, picked in by_path.items():
        lines = [
            f"{n}\tSpectrogram 1\t1\t{r['start_s']:.3f}\t{r['end_s']:.3f}\t{r['label']}\t{path}\n"
            for n, r in enumerate(picked, start=1)
        ]
        write_atomic(folder / f"{Path(path).stem}.selection.table.txt", header + "".join(lines))
    return len(by_path)


# -- import ----------------------------------------------------------------------------------------


def import_labels(index: Index, files: Sequence[str | Path], *, source: str = "import") -> dict[str, int]:
    """Read label files and write their decisions in one commit; nothing is written if any row is bad.
    Returns ``{"rows": rows read, "decisions": decisions written, "unmatched": rows matching no window}``."""
    from .matching import TimeMatcher

    matcher = TimeMatcher(index)
    decisions: list[tuple[str, str, bool | None]] = []
    rows = unmatched = 0
    for file in files:
        for where, row in _read_rows(Path(file)):
            rows += 1
            label, positive = _label(row.get("label")), _positive(row.get("positive"), where)
            if row.get("id"):
                decisions.append((str(row["id"]), label, positive))
                continue
            ids = matcher.match(row, where)
            unmatched += not ids
            decisions += [(i, label, positive) for i in ids]
    written = Labels(index).add(decisions, source=source)
    return {"rows": rows, "decisions": written, "unmatched": unmatched}


def _read_rows(path: Path) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if not path.is_file():
        raise OptionError(f"labels file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except ValueError as e:
                    raise OptionError(f"{path}:{n}: not a JSON object ({e})") from e
                if not isinstance(row, dict):
                    raise OptionError(f"{path}:{n}: not a JSON object")
                yield f"{path}:{n}", row
        return
    if "Begin Time (s)" in text.partition("\n")[0]:
        yield from _raven_with_own_name(path, text)
        return
    delimiter = "\t" if "\t" in text.partition("\n")[0] else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    fields = reader.fieldnames or []
    if "label" not in fields or not ({"id"} <= set(fields) or {"path", "start_s", "end_s"} <= set(fields)):
        raise OptionError(
            f"{path}: columns {fields} are not a labels file; use id,label[,positive] or "
            "path,start_s,end_s,label[,positive], or a Raven selection table"
        )
    for n, row in enumerate(reader, start=2):
        yield f"{path}:{n}", row


def _raven_with_own_name(path: Path, text: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """A Raven table's rows; a table without a file column names its recording: REC.Table.1.selections.txt -> REC."""
    from ..io.annotations import raven_rows

    for where, row in raven_rows(path, text):
        yield where, row | ({"path": path.name.split(".")[0]} if row["path"] == path.name else {})
