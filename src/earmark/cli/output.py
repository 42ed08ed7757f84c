"""What the CLI prints: results as tables, JSON, JSONL or CSV on stdout; progress on stderr."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ..results import Failure

LOG_EVERY_S = 10.0  # piped runs: a progress line this often (EARMARK_PROGRESS_EVERY_S changes it)

__all__ = [
    "Progress",
    "print_calibration",
    "print_comparison",
    "print_event",
    "print_failures",
    "print_prediction",
    "print_report",
    "size_text",
]


def _every_s() -> float:
    try:
        return float(os.environ.get("EARMARK_PROGRESS_EVERY_S", LOG_EVERY_S))
    except ValueError:
        return LOG_EVERY_S


class Progress:
    """A rich progress bar on a terminal's stderr that clears itself; when stderr is not a terminal, a
    plain line every 10 s instead (a piped run is never silent for minutes). Entering gives ``advance()``."""

    def __init__(self, total: int | None, *, enabled: bool = True, description: str = "classifying") -> None:
        self.total, self.bar, self.description = total, None, description
        self.enabled = enabled and sys.stderr.isatty()
        self.log_lines = enabled and not self.enabled
        self._task: Any = None
        self.done = 0
        self._last = time.monotonic()

    def start(self) -> Progress:
        if self.enabled and self.bar is None:
            from rich.console import Console
            from rich.progress import Progress as Bar

            self.bar = Bar(console=Console(stderr=True), transient=True)
            self.bar.start()
            self._task = self.bar.add_task(self.description, total=self.total)
        return self

    def advance(self) -> None:
        self.update(self.done + 1)

    def update(self, done: int, total: int | None = None) -> None:
        """Set how far it is (a count that starts again, e.g. each encoder of ``train --encoder auto``
        encoding the clips in turn, restarts the bar rather than counting past the total)."""
        self.done, self.total = done, total or self.total
        if self.bar is not None:
            self.bar.update(self._task, completed=done, total=self.total)
        elif self.log_lines and time.monotonic() - self._last >= _every_s():  # piped: a plain line now and then
            self._last = time.monotonic()
            total = f"/{self.total}" if self.total else ""
            typer.echo(f"earmark: {self.description}: {self.done}{total}", err=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __enter__(self) -> Callable[[], None]:
        return self.start().advance

    def __exit__(self, *exc: object) -> None:
        self.stop()


def print_prediction(prediction: Any) -> None:
    """One prediction as a table, and its timeline segments under it."""
    from rich.console import Console
    from rich.table import Table

    table = Table("label", "score")
    for s in prediction.scores:
        table.add_row(s.label, f"{s.score:.4f}")
    console = Console()
    console.print(f"{prediction.source} ({prediction.duration_s:.2f} s)", soft_wrap=True, highlight=False)
    console.print(table if prediction.scores else "  (no label above the threshold)")
    for seg in prediction.timeline:
        heard = f"{seg.label}  {seg.score:.3f}" if seg.scores else "-"
        console.print(f"  {seg.start_s:8.2f} - {seg.end_s:8.2f} s  {heard}", highlight=False)


def print_event(event: Any, as_jsonl: bool) -> None:
    if as_jsonl:
        typer.echo(json.dumps(event.to_dict()))
    else:
        typer.echo(f"{event.end_s:9.2f} s  {event.label}  {event.score:.3f}")
    sys.stdout.flush()


def size_text(size: int | None) -> str:
    return "?" if not size else f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"


def print_comparison(rows: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    at = next((row.at.target for row in rows if row.at), None)
    extra = (f"recall @ {at}", "classes") if at else ()
    table = Table("model", "engine", *extra, "accuracy", "macro-F1", "top-5", "clips/s", "size")
    table.columns[0].overflow = "fold"
    for row in rows:
        result = row.report
        point = ()
        if at:
            recall = "-" if row.at.recall is None else f"{row.at.recall:.1%}"
            point = (recall, f"{row.at.classes} of {row.at.classes + row.at.refused}")
        table.add_row(
            result.model,
            f"{result.engine} {result.compute_type}",
            *point,
            f"{result.accuracy:.1%}",
            f"{result.macro_f1:.3f}",
            f"{result.top5_accuracy:.1%}",
            f"{result.clips_per_s:.1f}",
            size_text(row.size_bytes),
        )
    Console().print(table)


def print_report(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{result.model} on {result.data}: {result.clips} clips, accuracy {result.accuracy:.1%}, "
        f"macro-F1 {result.macro_f1:.3f}, top-5 {result.top5_accuracy:.1%}, {result.clips_per_s:.1f} clips/s",
        soft_wrap=True,
        highlight=False,
    )
    table = Table("label", "precision", "recall", "f1", "support")
    for label, m in result.per_class.items():
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    if result.thresholds:
        console.print(f"thresholds: {result.thresholds}", highlight=False)
    if result.failed_clips:
        console.print(f"{result.failed_clips} clips could not be classified and are not in these figures")
    if result.unmatched_dataset_labels:
        console.print(f"dataset labels the model does not have: {', '.join(result.unmatched_dataset_labels)}")


def print_calibration(result: Any) -> None:
    """One row per class: its threshold and what it reaches, or why it has none."""
    from rich.console import Console
    from rich.table import Table

    detector = result.target.kind == "fa-per-hour"
    columns = ("fa/hour", "95% interval", "miss rate") if detector else ("precision", "recall", "95% interval")
    table = Table("label", "threshold", *columns, "examples", "note")
    table.columns[-1].overflow = "fold"

    def number(x: Any, form: str = ".3f") -> str:
        return "-" if x is None else format(x, form)

    for c in result.classes:
        interval = f"{c.interval[0]:.3f}-{c.interval[1]:.3f}" if c.interval else "-"
        if detector:
            values = (number(c.fa_per_hour, ".2f"), interval, number(c.miss_rate, ".1%"))
        else:
            values = (number(c.precision), number(c.recall), interval)
        table.add_row(c.label, number(c.threshold, ".4f"), *values, str(c.positives), c.reason or "")
    console = Console()
    hours = f", {result.negatives_hours:.2f} h of negatives" if result.negatives_hours else ""
    console.print(f"{result.model}: target {result.target}{hours}", soft_wrap=True, highlight=False)
    console.print(table)
    if result.ece_before is not None:
        after = f" -> {result.ece_after:.4f} ({result.method}, cross-fitted)" if result.ece_after is not None else ""
        console.print(f"expected calibration error {result.ece_before:.4f}{after}", highlight=False)


def print_failures(failures: list[Failure], total: int) -> None:
    """The inputs that failed, listed again at the end of a run (stderr), so none is missed in a long log."""
    if not failures:
        return
    typer.echo(f"earmark: {len(failures)} of {total} inputs failed:", err=True)
    for f in failures:
        typer.echo(f"  {f.error if f.source and str(f.source) in f.error else f'{f.source}: {f.error}'}", err=True)
