"""``earmark classify``: the top labels of audio files, directories or URLs."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any, Optional

import typer

from ..errors import OptionError
from ..io.recordings import Recordings
from ..options import LoadOptions, split_labels
from ..results import TIMELINE_SUFFIXES, Failure, TimelineWriter
from .app import app, fail
from .options import (
    BatchSizeOption,
    Function,
    ModelOption,
    PoolingOption,
    RescaleOption,
    TaskOption,
    load_model,
    model_ref,
    with_load_options,
)
from .output import Progress, print_failures, print_prediction


@app.command()
@with_load_options
def classify(
    audio: Annotated[list[str], typer.Argument(help="Audio files, directories or URLs.")],
    model: ModelOption = None,
    task: TaskOption = None,
    languages: Annotated[
        Optional[str],
        typer.Option(help="Only these candidates, comma-separated (codes or names); scores renormalised."),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Labels to show per input.")] = 5,
    threshold: Annotated[
        Optional[float], typer.Option(help="Hide labels scoring below this (replaces calibrated thresholds).")
    ] = None,
    function: Annotated[Optional[Function], typer.Option("--function", help="Scores from logits.")] = None,
    window_s: Annotated[Optional[float], typer.Option("--window-s", help="Window length (s) for long audio.")] = None,
    hop_s: Annotated[Optional[float], typer.Option("--hop-s", help="Step between windows (s).")] = None,
    pooling: PoolingOption = None,
    batch_size: BatchSizeOption = 8,
    timeline: Annotated[
        Optional[str], typer.Option(help="Write the timeline (.json, .csv, .selection.table.txt Raven, .txt Audacity).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: the pipeline's list for one input.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per input.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV rows: source,rank,label,score.")] = False,
    rescale: RescaleOption = False,
    *,
    load_options: LoadOptions,
) -> None:
    """Classify audio files and print the top labels."""
    from ..io.decode import expand_sources
    from ..options import ClassifyOptions

    if sum((as_json, as_jsonl, as_csv)) > 1:
        raise fail("choose one of --json, --jsonl, --csv")
    ref = model_ref(model, task)
    sources = expand_sources(audio)
    if timeline and len(sources) != 1:
        raise OptionError("--timeline writes one recording's timeline; give exactly one input")
    if timeline and not timeline.lower().endswith(TIMELINE_SUFFIXES):
        raise OptionError(f"--timeline {timeline!r}: unknown extension; allowed: {', '.join(TIMELINE_SUFFIXES)}")
    given = {
        "top_k": top_k,
        "threshold": threshold,
        "function_to_apply": function.value if function else None,
        "window_s": window_s,
        "hop_s": hop_s,
        "pooling": pooling.value if pooling else None,
        "restrict": split_labels(languages),
    }
    changes = {k: v for k, v in given.items() if v is not None} | {"batch_size": batch_size, "rescale": rescale}
    ClassifyOptions(**changes)  # bad options fail before a model is loaded
    classifier = load_model(ref, load_options)
    # The classifier's own defaults (vote pooling and abstaining for language ID) under what was given.
    options = classifier.default_options.replace(**changes)
    note = classifier.thresholds_note(options)
    if note:
        typer.echo(f"earmark: thresholds: {note}", err=True)
    failed = _print_results(classifier, sources, options, as_json, as_jsonl, as_csv, timeline)
    if failed:
        raise typer.Exit(2)


def _print_results(classifier: Any, sources: list[str], options: Any, as_json, as_jsonl, as_csv, timeline) -> int:
    """Print each result as it comes; a failed input is one stderr line and the run goes on.
    Returns how many inputs failed (they are listed again at the end)."""
    failures: list[Failure] = []
    single = len(sources) == 1
    writer = TimelineWriter(timeline) if timeline else None  # rows written as the recording is heard
    predictions = classifier.iter_classify(
        sources,
        options,
        errors="raise" if single else "yield",
        on_segment=None if writer is None else (lambda source, segment: writer.write(segment)),
        keep_timeline=writer is None,
        recordings=Recordings(quiet=True),  # each file's own time and place (BirdNET's species filter)
    )
    with Progress(len(sources), enabled=not single) as advance, writer or contextlib.nullcontext():
        if as_csv:
            typer.echo("source,rank,label,score")
        collected = []
        for prediction in predictions:
            advance()
            if isinstance(prediction, Failure):
                failures.append(prediction)
                typer.echo(f"earmark: error: {prediction.error}", err=True)
            elif as_csv:
                for rank, s in enumerate(prediction.scores, 1):
                    typer.echo(f"{json.dumps(prediction.source)},{rank},{json.dumps(s.label)},{s.score:.6f}")
            elif as_json:
                collected.append(prediction)
            elif as_jsonl or not single:
                typer.echo(json.dumps(prediction.to_dict()))
            else:
                print_prediction(prediction)
    if as_json:
        typer.echo(json.dumps(collected[0].to_list() if single else [p.to_dict() for p in collected]))
    print_failures(failures, len(sources))
    return len(failures)
