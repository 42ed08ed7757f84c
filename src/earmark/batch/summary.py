"""A batch table summarised the way monitoring analyses start: detections per label, site and hour,
and a heatmap of labels against the hour of day.

A detection is a labelled segment row of the table (every label the run's threshold and top-k kept);
a file without a timeline (one window) counts by its file rows. Hours are UTC, from ``recorded_at``;
rows whose recording has no known start time are counted under an empty hour, never guessed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OptionError, missing_extra

__all__ = ["HourCount", "plot_hours", "read_table", "summarize", "write_summary"]

SUMMARY_COLUMNS = ("site", "date", "hour", "label", "detections", "max_score")
PLOT_LABELS = 30


@dataclass(frozen=True)
class HourCount:
    """Detections of one label at one site in one hour (UTC; ``date``/``hour`` empty: start unknown)."""

    site: str
    date: str
    hour: int | None
    label: str
    detections: int
    max_score: float


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a batch table (.parquet, .jsonl or .csv)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as e:
            raise missing_extra("pyarrow", "batch", "reading Parquet tables") from e
        return pq.read_table(path).to_pylist()
    if suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row["score"] = float(row["score"]) if row.get("score") else None
        return rows
    raise OptionError(f"{path.name!r}: not a batch table; use .parquet, .jsonl or .csv")


def _detections(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Labelled segment rows; a file's labelled file rows where it has no segments."""
    by_path: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("label") and not row.get("error"):
            by_path.setdefault(row["path"], []).append(row)
    for picked in by_path.values():
        segments = [r for r in picked if r["level"] == "segment"]
        yield from segments or [r for r in picked if r["level"] == "file"]


def summarize(rows: Iterable[dict[str, Any]]) -> list[HourCount]:
    """Detections per (site, UTC date and hour, label), sorted by site, time and label."""
    counts: Counter[tuple[str, str, int | None, str]] = Counter()
    best: dict[tuple[str, str, int | None, str], float] = {}
    for row in _detections(rows):
        at = row.get("recorded_at") or ""
        key = (row.get("site") or "", at[:10], int(at[11:13]) if at else None, row["label"])
        counts[key] += 1
        best[key] = max(best.get(key, 0.0), float(row["score"] or 0.0))
    order = sorted(counts, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2], k[3]))
    return [HourCount(*key, counts[key], best[key]) for key in order]


def write_summary(counts: list[HourCount], path: str | Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(SUMMARY_COLUMNS)
        for c in counts:
            hour = "" if c.hour is None else c.hour
            writer.writerow([c.site, c.date, hour, c.label, c.detections, f"{c.max_score:.4f}"])


def plot_hours(counts: list[HourCount], path: str | Path, *, labels: int = PLOT_LABELS) -> None:
    """A heatmap PNG: the most detected labels (rows) against the UTC hour of day (columns), all sites
    and days together."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise missing_extra("matplotlib", "eval", "earmark batch --plot") from e
    import numpy as np

    timed = [c for c in counts if c.hour is not None]
    if not timed:
        raise OptionError("--plot: no row has a recording time (recorded_at); the heatmap is by hour of day")
    totals = Counter()
    for c in timed:
        totals[c.label] += c.detections
    top = [label for label, _ in totals.most_common(labels)]
    grid = np.zeros((len(top), 24))
    for c in timed:
        if c.label in totals and c.label in top:
            grid[top.index(c.label), c.hour] += c.detections
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(top) + 1.5))
    image = ax.imshow(grid, aspect="auto", cmap="viridis")
    ax.set_xticks(range(24))
    ax.set_yticks(range(len(top)), top, fontsize=8)
    ax.set_xlabel("hour of day (UTC)")
    ax.set_title("detections per label and hour")
    fig.colorbar(image, ax=ax, label="detections")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
