"""``earmark show``: what a recording is (duration, rate, channels, loudness), and a picture of it."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .app import app
from .options import JsonFlag, PlotOption


@app.command()
def show(
    audio: Annotated[str, typer.Argument(help="An audio file or URL.")],
    plot: PlotOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Duration, sample rate, channels and loudness of a recording; a waveform + spectrogram PNG with --plot."""
    from ..io.decode import load_audio
    from ..io.describe import describe, plot_audio

    decoded = load_audio(audio)
    info = describe(decoded)
    if plot:
        plot_audio(decoded, plot)
    if as_json:
        typer.echo(json.dumps(info.to_dict()))
        return
    typer.echo(
        f"{info.source}: {info.duration_s:.3f} s, {info.sample_rate} Hz, {info.channels} channel(s), "
        f"RMS {info.rms_dbfs:.1f} dBFS, peak {info.peak_dbfs:.1f} dBFS"
    )
