"""The ``earmark`` Typer application, and the one place where an :class:`EarmarkError` becomes
``earmark: error: ...`` on stderr and exit status 2."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import EarmarkError

__all__ = ["app", "fail", "main", "models_app"]


class _Commands(TyperGroup):
    """Runs a command; an error earmark raised on purpose is one line and exit 2, wherever it came from."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EarmarkError as e:
            raise fail(str(e)) from None


def fail(message: str) -> typer.Exit:
    """Print ``earmark: error: MESSAGE`` and return the exit (status 2) to raise."""
    typer.echo(f"earmark: error: {message}", err=True)
    return typer.Exit(2)


app = typer.Typer(
    cls=_Commands, help="What is in this audio? Classify audio with pretrained models.", no_args_is_help=True
)
models_app = typer.Typer(cls=_Commands, help="Built-in tasks and models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@app.callback()
def _quiet_libraries() -> None:
    """The CLI prints results and one-line errors; libraries' own progress bars would garble them."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="earmark: %(levelname)s: %(message)s")
    app(prog_name="earmark")
