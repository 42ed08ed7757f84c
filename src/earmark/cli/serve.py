"""``earmark serve``: models behind HTTP and WebSocket, with a browser page."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from ..errors import OptionError, missing_extra
from ..options import LoadOptions
from .app import app
from .options import with_load_options


def parse_models(specs: list[str]) -> list[tuple[str, str]]:
    """``NAME=REF`` (or a bare REF, named after its last path part) -> (name, ref)."""
    out = []
    for spec in specs:
        name, sep, ref = spec.partition("=")
        if not sep:
            ref, name = spec, spec.rstrip("/").rsplit("/", 1)[-1]
        if not name or not ref:
            raise OptionError(f"--model {spec!r} is not NAME=REF (e.g. alexa=wake-word/alexa)")
        out.append((name, ref))
    if len({n for n, _ in out}) != len(out):
        raise OptionError(f"--model names repeat: {[n for n, _ in out]}; give each a NAME= of its own")
    return out


@app.command()
@with_load_options
def serve(
    model: Annotated[
        list[str], typer.Option("--model", "-m", help="NAME=REF, repeatable; REF is anything earmark.load takes.")
    ],
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    max_body_mb: Annotated[float, typer.Option(min=0.001, help="Largest request body.")] = 25.0,
    max_batch_size: Annotated[int, typer.Option(min=1, help="Requests gathered into one model call.")] = 8,
    max_wait_ms: Annotated[float, typer.Option(min=0, help="How long a request waits for others to join it.")] = 10.0,
    max_queue: Annotated[int, typer.Option(min=1, help="Requests waiting per model; more get 429.")] = 64,
    timeout_s: Annotated[float, typer.Option(min=0.1, help="A request not answered by then gets 504.")] = 30.0,
    api_key_env: Annotated[
        Optional[str], typer.Option(help="Require the key in this environment variable (Authorization: Bearer).")
    ] = None,
    *,
    load_options: LoadOptions,
) -> None:
    """Serve models over HTTP (Hugging Face Inference API shape) and WebSocket, with a browser page at /."""
    try:
        import uvicorn
    except ImportError as e:
        raise missing_extra("uvicorn", "serve", "earmark serve") from e
    from ..registry import load_ref, parse_ref
    from ..server.app import ServedModel, ServeSettings, create_app

    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise OptionError(f"--api-key-env {api_key_env}: that environment variable is not set")
    served = []
    for name, spec in parse_models(model):
        ref = parse_ref(spec)
        classifier = load_ref(ref, load_options)
        typer.echo(f"earmark: loaded {name} = {ref.target} ({classifier.engine}, {classifier.compute_type})", err=True)
        if classifier.thresholds_note():
            typer.echo(f"earmark: {name}: thresholds: {classifier.thresholds_note()}", err=True)
        served.append(ServedModel(name, ref.text, classifier))
    settings = ServeSettings(
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        max_queue=max_queue,
        timeout_s=timeout_s,
        api_key=key,
        load=load_options,
    )
    uvicorn.run(create_app(served, settings), host=host, port=port, log_level="info", timeout_graceful_shutdown=30)
