"""``earmark embed``, ``search``, ``labels``, ``suggest`` and ``review``: the discovery loop."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import OptionError, missing_extra
from .app import app
from .batch import _Reporter

DbOption = Annotated[Path, typer.Option("--db", help="The index folder (LanceDB).")]
labels_app = typer.Typer(help="Labels kept in an index: import, export, counts.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")


@app.command()
def embed(
    data: Annotated[list[str], typer.Argument(help="Files, folders (recursive), globs, CSV/JSONL manifests, hf:ID.")],
    db: DbOption,
    encoder: Annotated[
        str, typer.Option(help="birdnet, musicnn, openwakeword, whisper-base, a transformers audio model (CLAP...).")
    ] = "birdnet",
    window_s: Annotated[Optional[float], typer.Option("--window-s", help="Window (s); default the encoder's.")] = None,
    hop_s: Annotated[Optional[float], typer.Option("--hop-s", help="Step (s); default half a window.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes (or Ray actors), each with the encoder once.")] = 1,
    chunk: Annotated[int, typer.Option(min=1, help="Files or spans per chunk: the most a kill can cost.")] = 16,
    use_ray: Annotated[bool, typer.Option("--ray", help="Run on a Ray cluster (pip install 'earmark[ray]').")] = False,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster: auto or ray://host:port.")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads per worker.")] = None,
    span_s: Annotated[float, typer.Option("--span-s", min=0, help="Cut longer files into spans; 0: never.")] = 300.0,
    recordings: Annotated[Optional[Path], typer.Option(help="CSV: path, site, lat, lon, start, timezone.")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of start times without an offset.")] = "UTC",
    split: Annotated[str, typer.Option(help="hf: data: the split.")] = "train",
) -> None:
    """Embed every window of a corpus into an index; rerun to resume or to add new files."""
    from ..index import EmbedOptions
    from ..index import embed as run

    options = EmbedOptions(
        encoder=encoder,
        window_s=window_s,
        hop_s=hop_s,
        workers=workers,
        chunk=chunk,
        ray=use_ray,
        address=address,
        threads=threads,
        span_s=span_s or None,
        hf={"split": split},
        timezone=timezone,
        recordings=str(recordings) if recordings else None,
    )
    with _Reporter("embedding") as report:
        summary = run(data, db, options, progress=report)
    typer.echo(
        f"earmark: {summary.files} files in {summary.units} units ({summary.resumed} from an earlier run), "
        f"{summary.added} windows added ({summary.windows} in the index"
        f"{', approximate index' if summary.ann else ''}), "
        f"{summary.audio_s / 3600:.2f} h, {summary.errors} errors, {summary.wall_s:.1f} s, "
        f"{summary.audio_s / max(summary.wall_s, 1e-9):.1f}x real time -> {db}",
        err=True,
    )
    if summary.errors:
        raise typer.Exit(2)


def _print(rows: list[dict], as_json: bool) -> None:
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row))
        else:
            typer.echo(f"{row['score']:.4f}  {row['path']}  {row['start_s']:.2f}-{row['end_s']:.2f} s  {row['id']}")


@app.command()
def search(
    db: DbOption,
    example: Annotated[Optional[list[str]], typer.Option(help="FILE, FILE@START-END or id:WINDOW; repeatable.")] = None,
    text: Annotated[Optional[str], typer.Option(help="A text query (CLAP indexes only).")] = None,
    negative: Annotated[Optional[list[str]], typer.Option(help="Examples to push away; repeatable.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1)] = 50,
    where: Annotated[Optional[str], typer.Option(help="SQL filter, e.g. \"site = 'A'\".")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The windows nearest the examples (and/or text), best first."""
    from ..index import Index

    hits = Index(db).search(example or [], negatives=negative or [], text=text, top_k=top_k, where=where)
    _print([h.to_dict() for h in hits], as_json)


@app.command()
def suggest(
    db: DbOption,
    label: Annotated[Optional[str], typer.Option(help="One label's detector (else every label).")] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="Windows to suggest.")] = 20,
    strategy: Annotated[str, typer.Option(help="margin, top, random or diverse.")] = "margin",
    where: Annotated[Optional[str], typer.Option(help="SQL filter over the windows.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The next windows to review, from a head fitted on the labels so far (active learning)."""
    from ..index import Index
    from ..index.suggest import suggest as next_windows

    picks = next_windows(Index(db), label=label, n=n, strategy=strategy, where=where, seed=seed)
    _print([p.to_dict() for p in picks], as_json)


@labels_app.command("import")
def labels_import(
    files: Annotated[
        list[Path], typer.Argument(help="CSV/JSONL (id,label[,positive] or path,start_s,end_s,label) or Raven tables.")
    ],
    db: DbOption,
) -> None:
    """Add labels to the index (all rows of all files in one write)."""
    from ..index import Index
    from ..index.labels import import_labels

    result = import_labels(Index(db), files)
    typer.echo(
        f"earmark: {result['rows']} rows -> {result['decisions']} window decisions "
        f"({result['unmatched']} rows matched no window)",
        err=True,
    )


@labels_app.command("export")
def labels_export(
    db: DbOption,
    out: Annotated[Path, typer.Option(help="A .csv/.jsonl manifest, or a folder with --raven.")],
    raven: Annotated[bool, typer.Option(help="Write Raven selection tables (positives), one per file.")] = False,
) -> None:
    """Write the current labels as a manifest (earmark train reads it) or Raven tables."""
    from ..index import Index
    from ..index.labels import Labels

    written = Labels(Index(db)).export(out, raven=raven)
    typer.echo(f"earmark: {written} {'files' if raven else 'rows'} -> {out}", err=True)


@labels_app.command("counts")
def labels_counts(db: DbOption) -> None:
    """Positive and negative windows per label."""
    from ..index import Index
    from ..index.labels import Labels

    typer.echo(json.dumps(Labels(Index(db)).counts(), indent=1))


@app.command()
def review(
    db: DbOption,
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    api_key_env: Annotated[Optional[str], typer.Option(help="Require the key in this environment variable.")] = None,
) -> None:
    """A review page for an index at http://HOST:PORT/review: listen, accept, reject, retrain."""
    try:
        import uvicorn
    except ImportError as e:
        raise missing_extra("uvicorn", "serve", "earmark review") from e
    from ..index import Index
    from ..server.app import ServeSettings, create_app

    key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not key:
        raise OptionError(f"--api-key-env {api_key_env}: that environment variable is not set")
    index = Index(db)
    typer.echo(f"earmark: reviewing {db} ({len(index)} windows) at http://{host}:{port}/review", err=True)
    uvicorn.run(create_app([], ServeSettings(api_key=key), review=index), host=host, port=port, log_level="warning")
