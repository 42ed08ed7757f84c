"""``earmark listen``: events as keywords are heard in a file, stdin or the microphone."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..options import LoadOptions, split_labels
from .app import app, fail
from .options import TaskOption, model_ref, with_load_options
from .output import print_event


@app.command()
@with_load_options
def listen(
    audio: Annotated[
        Optional[str], typer.Argument(help="An audio file, or - for stdin (raw s16le PCM or WAV).")
    ] = None,
    model: Annotated[
        Optional[list[str]],
        typer.Option("--model", "-m", help="wake-word/NAME, wake-word/NAME@micro, or any classifier; repeatable."),
    ] = None,
    task: TaskOption = None,
    mic: Annotated[
        bool, typer.Option("--mic", help="Listen to the default microphone (pip install 'earmark\\[mic]').")
    ] = False,
    threshold: Annotated[
        Optional[float], typer.Option(help="Score that fires an event; default: each model's own.")
    ] = None,
    patience: Annotated[int, typer.Option(min=1, help="Consecutive frames above the threshold.")] = 1,
    refractory_s: Annotated[
        float, typer.Option("--refractory-s", min=0, help="Seconds before a label can fire again.")
    ] = 2.0,
    vad_threshold: Annotated[
        float,
        typer.Option(
            "--vad-threshold", min=0, max=1, help="Fire only where Silero VAD hears speech at least this; 0: off."
        ),
    ] = 0.5,
    rate: Annotated[int, typer.Option(min=1, help="Sample rate of raw PCM on stdin.")] = 16000,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per event.")] = False,
    ignore: Annotated[
        Optional[str],
        typer.Option(
            help="Labels that never fire, comma-separated; default: filler classes (_unknown_, ...); '' for none."
        ),
    ] = None,
    *,
    load_options: LoadOptions,
) -> None:
    """Listen to a stream and print an event each time a keyword is heard."""
    from ..io.streams import file_chunks, mic_chunks, stdin_chunks
    from ..streaming import StreamOptions, listener
    from ..streaming.listener import FILLERS

    if mic == (audio is not None):
        raise fail("give an audio file, - for stdin, or --mic")
    if model and task:
        raise fail("give --model or --task, not both")
    models = model or [model_ref(None, task or "wake-word")]  # wake-word/alexa unless told otherwise
    ignored = FILLERS if ignore is None else tuple(x for x in split_labels(ignore) if x)
    options = StreamOptions(
        threshold=threshold,
        patience=patience,
        refractory_s=refractory_s,
        vad_threshold=vad_threshold or None,
        ignore=ignored,
    )
    stream = listener(models, options, load_options=load_options)
    _say_thresholds(stream, threshold)
    chunks = mic_chunks() if mic else stdin_chunks(sample_rate=rate) if audio == "-" else file_chunks(audio)
    try:
        for chunk in chunks:
            for event in stream.push(chunk):
                print_event(event, as_jsonl)
        for event in stream.flush():
            print_event(event, as_jsonl)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _say_thresholds(stream, threshold: float | None) -> None:
    """One stderr line per calibrated model: its per-class thresholds, or that --threshold overrides them."""
    from ..calibration import thresholds_note
    from ..streaming.models import CalibratedScorer

    calibrations = {id(s.calibration): s.calibration for s in stream.scorers if isinstance(s, CalibratedScorer)}
    for calibration in calibrations.values():
        typer.echo(f"earmark: thresholds: {thresholds_note(calibration, threshold)}", err=True)
