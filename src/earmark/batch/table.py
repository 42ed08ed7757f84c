"""The batch table: one long table, the same columns in every format, and the per-file exports.

Columns: ``path``, ``level`` (``file`` for the pooled prediction, ``segment`` for timeline windows),
``start_s``, ``end_s``, ``rank`` (1..k), ``label``, ``score``, ``code`` (when the model has codes),
``error`` (set, with the prediction columns empty, on the one row of a file that failed), and when and
where: ``site``, ``recorded_at`` (UTC ISO 8601 of the row's own start: the file's start + ``start_s``),
``lat``, ``lon`` (empty where the recording's metadata, name or the recordings CSV do not say).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import OptionError, missing_extra
from ..results import Failure, Prediction

__all__ = ["COLUMNS", "FORMATS", "classify_chunk", "export_labels", "rows_of", "with_when_and_where", "write_table"]

COLUMNS = (
    "path",
    "level",
    "start_s",
    "end_s",
    "rank",
    "label",
    "score",
    "code",
    "error",
    "site",
    "recorded_at",
    "lat",
    "lon",
)
WHEN_AND_WHERE = COLUMNS[-4:]
FORMATS = (".parquet", ".jsonl", ".csv")
EXPORTS = ("raven", "audacity")


def _row(path: str, level: str, start: Any, end: Any, rank: Any, label: Any, score: Any, code: Any, error: Any):
    return dict(zip(COLUMNS, (path, level, start, end, rank, label, score, code, error))) | dict.fromkeys(
        WHEN_AND_WHERE
    )


def with_when_and_where(rows: list[dict[str, Any]], recordings: Any) -> list[dict[str, Any]]:
    """Rows with ``site``, ``recorded_at``, ``lat``, ``lon`` from each file's :class:`RecordingInfo`."""
    for row in rows:
        if "level" not in row:  # a span's fold: its rows get these when they are joined
            continue
        info = recordings.info(row["path"])
        row |= {
            "site": info.site,
            "lat": info.lat,
            "lon": info.lon,
            "recorded_at": info.recorded_at(row["start_s"] or 0.0),
        }
    return rows


def rows_of(key: str, result: Prediction | Failure) -> list[dict[str, Any]]:
    """The table rows of one input: its ranked labels, then its timeline's; one row with no label when
    nothing passed the threshold (so every input is in the table); or one error row."""
    if isinstance(result, Failure):
        return [_row(key, "file", None, None, None, None, None, None, result.error)]
    rows = [
        _row(key, "file", 0.0, result.duration_s, rank, s.label, float(s.score), s.code, None)
        for rank, s in enumerate(result.scores, start=1)
    ] or [_row(key, "file", 0.0, result.duration_s, None, None, None, None, None)]  # heard, nothing above threshold
    for segment in result.timeline:
        rows += [
            _row(key, "segment", segment.start_s, segment.end_s, rank, s.label, float(s.score), s.code, None)
            for rank, s in enumerate(segment.scores, start=1)
        ]
    return rows


def classify_chunk(classifier: Any, items: Sequence[Any], options: Any, recordings: Any = None) -> list[dict[str, Any]]:
    """The shard lines of a chunk of units: table rows of whole inputs (a bad input is an error row,
    never a stop); for spans of long files, their folds (joined when the table is written) and once
    the model's labels and options, which the join needs. ``recordings`` tells the model when and
    where each file was made (BirdNET's species filter per recording)."""
    sources = [i.audio_source for i in items]
    results = classifier.classify_many(sources, options, errors="yield", recordings=recordings)
    out: list[dict[str, Any]] = []
    for item, result in zip(items, results):
        if item.span is None:
            out += rows_of(item.key, result)
            continue
        if not any("model" in line for line in out):
            out.append({"model": model_card(classifier, options)})
        if isinstance(result, Failure):
            out.append({"span": item.unit, "path": item.key, "error": result.error})
        else:
            changes = classifier.recording_options(recordings.info(item.key)) if recordings else {}
            out.append({"span": item.unit, "path": item.key, "result": result.to_dict(), "changes": changes})
    return out


def model_card(classifier: Any, options: Any) -> dict[str, Any]:
    from dataclasses import asdict

    codes = classifier.label_codes
    return {
        "labels": list(classifier.labels),
        "codes": None if codes is None else list(codes),
        "options": asdict(options),
        "sample_rate": classifier.sample_rate,
    }


def joined_rows(key: str, lines: list[dict[str, Any]], card: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The table rows of a long file from its spans' shard lines: one error row if a span failed."""
    from ..options import ClassifyOptions
    from ..spans import SpanResult, join_spans

    failed = [line for line in lines if "error" in line]
    if failed or card is None:
        return [_row(key, "file", None, None, None, None, None, None, failed[0]["error"] if failed else "no spans")]
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in (card["options"] | lines[0]["changes"]).items()}
    codes = None if card["codes"] is None else tuple(card["codes"])
    results = [SpanResult.from_dict(line["result"]) for line in lines]
    prediction = join_spans(results, tuple(card["labels"]), codes, ClassifyOptions(**fields), card["sample_rate"])
    return rows_of(key, prediction)


def write_table(rows: Iterable[dict[str, Any]], path: Path, metadata: dict[str, Any]) -> None:
    """Write the table atomically in the format the suffix names; metadata goes into the Parquet
    file's key-value metadata, or a ``.meta.json`` beside a JSONL/CSV table."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OptionError(f"output {path.name!r}: unknown format; use one of {', '.join(FORMATS)}")
    rows = list(rows)
    partial = path.with_name(path.name + ".partial")
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as e:
            raise missing_extra("pyarrow", "batch", "Parquet output") from e
        schema = pa.schema(
            [
                ("path", pa.string()),
                ("level", pa.string()),
                ("start_s", pa.float64()),
                ("end_s", pa.float64()),
                ("rank", pa.int32()),
                ("label", pa.string()),
                ("score", pa.float64()),
                ("code", pa.string()),
                ("error", pa.string()),
                ("site", pa.string()),
                ("recorded_at", pa.string()),
                ("lat", pa.float64()),
                ("lon", pa.float64()),
            ],
            metadata={"earmark": json.dumps(metadata)},
        )
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), partial)
    elif suffix == ".jsonl":
        partial.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
        partial.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(partial, path)
    if suffix != ".parquet":
        (path.with_name(path.name + ".meta.json")).write_text(json.dumps(metadata, indent=2))


def export_labels(rows: list[dict[str, Any]], folder: Path, kind: str) -> int:
    """Per input file, a Raven selection table or an Audacity label track of its top label per
    segment (its file-level label where it has no timeline). Returns the number of files written."""
    if kind not in EXPORTS:
        raise OptionError(f"--export {kind!r} is not allowed; use one of {', '.join(EXPORTS)}")
    folder.mkdir(parents=True, exist_ok=True)
    by_path: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["rank"] == 1:
            by_path.setdefault(row["path"], []).append(row)
    written = 0
    for path, picked in by_path.items():
        segments = [r for r in picked if r["level"] == "segment"] or [r for r in picked if r["level"] == "file"]
        stem = Path(path).stem or "input"
        if kind == "audacity":
            text = "".join(f"{r['start_s']:.3f}\t{r['end_s']:.3f}\t{r['label']}\n" for r in segments)
            (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
        else:
            header = (
                "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLabel\tCode\tConfidence\tBegin Path"
                "\tBegin Date Time\n"
            )
            lines = [
                f"{n}\tSpectrogram 1\t1\t{r['start_s']:.3f}\t{r['end_s']:.3f}\t{r['label']}\t{r['code'] or ''}\t"
                f"{r['score']:.4f}\t{path}\t{_raven_time(r.get('recorded_at'))}\n"
                for n, r in enumerate(segments, start=1)
            ]
            (folder / f"{stem}.selection.table.txt").write_text(header + "".join(lines), encoding="utf-8")
        written += 1
    return written


def _raven_time(recorded_at: str | None) -> str:
    """Raven's ``Begin Date Time`` (``YYYY/MM/DD HH:MM:SS.mmm``, UTC), empty when the start is unknown."""
    if not recorded_at:
        return ""
    from datetime import datetime

    return datetime.fromisoformat(recorded_at).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]
