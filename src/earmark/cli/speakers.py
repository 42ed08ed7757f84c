"""``earmark enroll`` and ``earmark verify``: known speakers from a few clips each; same voice or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .options import LabelPatternOption, ThreadsOption

EncoderOption = Annotated[
    str, typer.Option(help="speaker (GE2E, offline) or a Hub AutoModelForAudioXVector id or folder.")
]


@app.command()
def enroll(
    speakers: Annotated[
        str, typer.Argument(help="A folder per speaker, a manifest (path,label), or files named by speaker.")
    ],
    out: Annotated[Path, typer.Option(help="The speaker model folder to write (or, with --add, to add to).")],
    encoder: EncoderOption = "speaker",
    label_pattern: LabelPatternOption = None,
    threshold: Annotated[
        Optional[float], typer.Option(help="The cosine below which a voice is 'unknown'; default: from the clips.")
    ] = None,
    add: Annotated[bool, typer.Option("--add", help="Add clips or speakers to the model in --out.")] = False,
    threads: ThreadsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Enrol known speakers into a model folder that classify, batch, serve and listen run: top speakers by
    cosine similarity, or 'unknown' when nobody enrolled is close enough."""
    from ..training.enroll import enroll as run

    report = run(
        speakers, out, encoder=encoder, label_pattern=label_pattern, threshold=threshold, add=add, threads=threads
    )
    if as_json:
        payload = {
            k: getattr(report, k)
            for k in ("speakers", "threshold", "threshold_from", "known_accepted", "impostors_above", "added")
        }
        typer.echo(json.dumps({"folder": str(report.folder), **payload}, indent=2))
        return
    typer.echo(f"enrolled {len(report.speakers)} speakers ({report.added} new clips) -> {report.folder}")
    typer.echo("  " + ", ".join(f"{name} ({n})" for name, n in report.speakers.items()))
    line = f"  unknown below cosine {report.threshold:.3f} ({report.threshold_from})"
    if report.known_accepted is not None:
        line += f": {report.known_accepted:.0%} of enrolment clips accepted (leave-one-out)"
    if report.impostors_above is not None:
        line += f", {report.impostors_above:.0%} of other-speaker scores above"
    typer.echo(line)


@app.command()
def verify(
    first: Annotated[str, typer.Argument(help="An audio file.")],
    second: Annotated[str, typer.Argument(help="Another audio file.")],
    model: Annotated[
        Optional[str], typer.Option("--model", "-m", help="A speaker model: its encoder and threshold.")
    ] = None,
    encoder: EncoderOption = "speaker",
    threshold: Annotated[Optional[float], typer.Option(help="Same voice at or above this cosine.")] = None,
) -> None:
    """Whether two recordings are the same voice: one JSON line with same, score, threshold and where the
    threshold came from."""
    from ..training.enroll import verify as run

    typer.echo(json.dumps(run(first, second, model=model, encoder=encoder, threshold=threshold).to_dict()))
