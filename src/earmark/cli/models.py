"""``earmark models``: the built-in tasks, a search of the Hub, and the Whisper converter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..reference import WAKE_WORD_PREFIX
from ..tasks import TASKS
from .app import models_app
from .availability import availability
from .options import JsonFlag


@models_app.command("engines")
def models_engines(as_json: JsonFlag = False) -> None:
    """Show the engine table: what each engine takes and honours (compute types, devices, threads, options)."""
    from ..registry import engines

    rows = [
        {
            "engine": e.name if r.name == e.name else f"{e.name} on {r.name}",
            "ask": r.name,
            "compute_types": list(r.compute_types),
            "devices": list(r.devices),
            "threads": r.threads,
            "engine_options": list(e.options),
            "zero_shot": e.zero_shot,
            "description": e.description,
        }
        for e in engines()
        for r in (e.runtime, *e.runtimes)
    ]
    if as_json:
        typer.echo(json.dumps({"engines": rows}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("engine", "compute types", "devices", "threads", "engine options", "what it runs")
    for row in rows:
        table.add_row(
            row["engine"],
            ", ".join(row["compute_types"]),
            ", ".join(row["devices"]),
            "yes" if row["threads"] else "-",
            ", ".join(row["engine_options"]) or "-",
            row["description"],
        )
    Console().print(table)


@models_app.command("list")
def models_list(as_json: JsonFlag = False) -> None:
    """Show the built-in tasks, the model each loads by default, and which work offline here."""
    from ..engines.wakeword import MICROWAKEWORD_MODELS, OPENWAKEWORD_MODELS

    rows = [t.__dict__ | {"availability": availability(t.default_model)} for t in TASKS.values()]
    wake = [f"{WAKE_WORD_PREFIX}{n}" for n in OPENWAKEWORD_MODELS]
    wake += [f"{WAKE_WORD_PREFIX}{n}@micro" for n in MICROWAKEWORD_MODELS]
    if as_json:
        typer.echo(json.dumps({"tasks": rows, "wake_words": wake}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("task", "default model", "here", "what it hears", "licence")
    table.columns[0].no_wrap = True
    for column in table.columns[1:]:
        column.overflow = "fold"
    for row in rows:
        table.add_row(row["name"], row["default_model"], row["availability"], row["description"], row["licence"])
    console = Console()
    console.print(table)
    console.print(f"wake words (offline): {', '.join(wake)}", soft_wrap=True, highlight=False)


@models_app.command("search")
def models_search(
    task: Annotated[Optional[str], typer.Option(help="Pipeline tag, e.g. audio-classification.")] = (
        "audio-classification"
    ),
    dataset: Annotated[Optional[str], typer.Option(help="Trained on this dataset, e.g. speech_commands.")] = None,
    search: Annotated[Optional[str], typer.Option(help="Text the model id contains.")] = None,
    sort: Annotated[str, typer.Option(help="downloads, likes, trending_score, created_at, last_modified.")] = (
        "downloads"
    ),
    limit: Annotated[int, typer.Option(min=1, help="At most this many models.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Find models on the Hugging Face Hub by task and dataset (honours HF_ENDPOINT)."""
    from ..hub import search_models

    found = search_models(task=task, dataset=dataset, search=search, sort=sort, limit=limit)
    if as_json:
        typer.echo(json.dumps([m.to_dict() for m in found]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "downloads", "likes", "task")
    for m in found:
        table.add_row(m.id, str(m.downloads or 0), str(m.likes or 0), m.pipeline_tag or "")
    Console().print(table)


@models_app.command("convert-whisper")
def convert_whisper(
    out: Annotated[Path, typer.Argument(help="Folder to write the transformers model to.")],
    source: Annotated[
        Optional[Path], typer.Option(help="A CTranslate2 Whisper folder; default: the offline Whisper base.")
    ] = None,
) -> None:
    """Convert a CTranslate2 (faster-whisper) Whisper model to a transformers one."""
    from ..engines.whisper import whisper_base_ct2
    from ..engines.whisper.convert import convert_ct2_whisper

    typer.echo(convert_ct2_whisper(source or whisper_base_ct2(), out))
