"""``earmark batch``: a whole corpus into one table, resumable and parallel."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import LoadOptions
from .app import app
from .options import (
    BatchSizeOption,
    ConfigOption,
    ModelOption,
    PoolingOption,
    RescaleOption,
    TaskOption,
    model_ref,
    with_load_options,
)

logger = logging.getLogger("earmark")


@app.command()
@with_load_options
def batch(
    data: Annotated[list[str], typer.Argument(help="Files, folders (recursive), globs, CSV/JSONL manifests, hf:ID.")],
    model: ModelOption = None,
    task: TaskOption = None,
    out: Annotated[Path, typer.Option(help="The table: .parquet (default format), .jsonl or .csv.")] = Path(
        "earmark.parquet"
    ),
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Labels per file and per segment.")] = 5,
    threshold: Annotated[
        Optional[float], typer.Option(help="Drop labels scoring below this (replaces calibrated thresholds).")
    ] = None,
    window_s: Annotated[Optional[float], typer.Option("--window-s", help="Window length (s): segment rows.")] = None,
    hop_s: Annotated[Optional[float], typer.Option("--hop-s", help="Step between windows (s).")] = None,
    pooling: PoolingOption = None,
    rescale: RescaleOption = False,
    batch_size: BatchSizeOption = 8,
    workers: Annotated[int, typer.Option(min=1, help="Processes (or Ray actors), each with the model once.")] = 1,
    chunk: Annotated[int, typer.Option(min=1, help="Files per shard: the most a kill can cost, per worker.")] = 16,
    use_ray: Annotated[bool, typer.Option("--ray", help="Run on a Ray cluster (pip install 'earmark[ray]').")] = False,
    address: Annotated[
        Optional[str], typer.Option(help="Ray cluster: auto or ray://host:port (default: a local one).")
    ] = None,
    cpus_per_worker: Annotated[float, typer.Option(min=0.1, help="Ray: CPUs per actor.")] = 1.0,
    export: Annotated[Optional[str], typer.Option(help="Also write per-file labels: raven or audacity.")] = None,
    restart: Annotated[
        bool, typer.Option(help="Start over instead of refusing a journal with other settings.")
    ] = False,
    split: Annotated[str, typer.Option(help="hf: data: the split.")] = "train",
    config: ConfigOption = None,
    streaming: Annotated[bool, typer.Option(help="hf: data: stream rows.")] = False,
    recordings: Annotated[
        Optional[Path], typer.Option(help="CSV: path (file or folder), site, lat, lon, start, timezone.")
    ] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of start times without an offset (bext, names).")] = "UTC",
    span_s: Annotated[
        float,
        typer.Option("--span-s", min=0, help="Cut files longer than this (s) into spans run in parallel; 0: never."),
    ] = 300.0,
    summary_csv: Annotated[
        Optional[Path], typer.Option("--summary", help="Also write detections per label, site and hour (CSV).")
    ] = None,
    plot: Annotated[
        Optional[Path], typer.Option(help="Also write a heatmap PNG of detections (label x hour of day).")
    ] = None,
    *,
    load_options: LoadOptions,
) -> None:
    """Classify a whole corpus into one long table; rerun the same command to resume after a crash.
    Files longer than --span-s run as spans on all workers (and resume at the span). --threads is per
    worker (default: the cores divided among the workers)."""
    from ..batch import BatchOptions, run_batch

    given = {
        "top_k": top_k,
        "threshold": threshold,
        "window_s": window_s,
        "hop_s": hop_s,
        "batch_size": batch_size,
        "pooling": pooling.value if pooling else None,
        "rescale": rescale or None,
    }
    options = BatchOptions(
        model=model_ref(model, task).text,
        load=load_options,
        changes={k: v for k, v in given.items() if v is not None},
        workers=workers,
        chunk=chunk,
        ray=use_ray,
        address=address,
        cpus_per_worker=cpus_per_worker,
        export=export,
        restart=restart,
        hf={"split": split, "config": config, "streaming": streaming},
        recordings=str(recordings) if recordings else None,
        timezone=timezone,
        span_s=span_s or None,
    )
    note = options.thresholds_note()
    if note:
        typer.echo(f"earmark: thresholds: {note}", err=True)
    with _Reporter() as report:
        summary = run_batch(data, out, options, progress=report)
    if summary_csv or plot:
        from ..batch.summary import read_table
        from ..batch.summary import summarize as count_hours

        _write(count_hours(read_table(out)), summary_csv, plot)
    typer.echo(
        f"earmark: {summary.files} files in {summary.units} units ({summary.resumed} from an earlier run), "
        f"{summary.audio_s / 3600:.2f} h of "
        f"audio, {summary.errors} errors, {summary.wall_s:.1f} s, {summary.audio_s / max(summary.wall_s, 1e-9):.1f}x "
        f"real time -> {out}",
        err=True,
    )
    if summary.errors:
        raise typer.Exit(2)


class _Reporter:
    """A Rich progress bar on a terminal (files, hours, files/s, x real time, ETA, errors); a plain
    log line every ~10 s otherwise."""

    def __init__(self, verb: str = "classifying") -> None:
        self.bar, self.task, self.last, self.verb = None, None, 0.0, verb

    def __enter__(self) -> _Reporter:
        return self

    def __call__(self, summary) -> None:
        import time

        if sys.stderr.isatty():
            if self.bar is None:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                self.bar = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TextColumn("{task.completed}/{task.total}"),
                    TextColumn("{task.fields[info]}"),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                    transient=True,
                )
                self.bar.start()
                self.task = self.bar.add_task(self.verb, total=summary.units, info="")
            info = (
                f"{summary.audio_s / 3600:.2f} h, {summary.done / max(summary.wall_s, 1e-9):.1f} units/s, "
                f"{summary.audio_s / max(summary.wall_s, 1e-9):.0f}x real time, {summary.errors} errors"
            )
            self.bar.update(self.task, completed=summary.done, info=info)
        elif time.monotonic() - self.last > 10:
            self.last = time.monotonic()
            logger.warning(
                "%s: %d/%d units (files and spans of long files), %.2f h of audio, %.1f units/s, %d errors",
                self.verb,
                summary.done,
                summary.units,
                summary.audio_s / 3600,
                summary.done / max(summary.wall_s, 1e-9),
                summary.errors,
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def summarize(
    table: Annotated[Path, typer.Argument(help="A table written by earmark batch (.parquet, .jsonl, .csv).")],
    out: Annotated[Path, typer.Option(help="The summary CSV: site, date, hour, label, detections, max_score.")] = Path(
        "summary.csv"
    ),
    plot: Annotated[Optional[Path], typer.Option(help="Also a heatmap PNG (label x hour of day).")] = None,
) -> None:
    """Detections per label, site and hour (UTC) of a batch table, as the run's threshold kept them."""
    from ..batch.summary import read_table
    from ..batch.summary import summarize as count_hours

    _write(count_hours(read_table(table)), out, plot)


def _write(counts, out: Path | None, plot: Path | None) -> None:
    from ..batch.summary import plot_hours, write_summary

    if out:
        write_summary(counts, out)
    if plot:
        plot_hours(counts, plot)
    typer.echo(f"earmark: {sum(c.detections for c in counts)} detections in {len(counts)} rows", err=True)
