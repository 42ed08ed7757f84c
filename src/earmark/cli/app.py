"""The ``earmark`` Typer application, and the one place where an :class:`EarmarkError` becomes
``earmark: error: ...`` on stderr and exit status 2."""

from __future__ import annotations

import logging
import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..errors import EarmarkError, extra_for

__all__ = ["app", "fail", "main", "models_app"]


DEBUG_ENV = "EARMARK_DEBUG"


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "false", "no")


class _Commands(TyperGroup):
    """Runs a command. An error earmark raised on purpose is one line and exit 2, wherever it came
    from; anything unexpected is one line, how to see its traceback, and exit 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EarmarkError as e:
            raise fail(" ".join(str(e).split())) from None
        except ModuleNotFoundError as e:  # an optional package this install lacks: name its extra
            missing = extra_for(e, f"earmark {ctx.invoked_subcommand or 'this command'}")
            if missing is None:
                raise
            raise fail(str(missing)) from None
        except (typer.TyperException, typer.Exit, typer.Abort, *_click_exceptions()):
            raise
        except Exception as e:
            if debugging():
                raise
            text = " ".join(str(e).split())[:300]
            typer.echo(
                f"earmark: internal error: {type(e).__name__}: {text} "
                f"(run with --debug or {DEBUG_ENV}=1 for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Click's own exceptions where typer still uses the click package (typer >= 0.2x vendors it and raises
    ``typer.TyperException`` for bad options)."""
    try:
        import click
    except ImportError:
        return ()
    return click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort


def fail(message: str) -> typer.Exit:
    """Print ``earmark: error: MESSAGE`` and return the exit (status 2) to raise."""
    typer.echo(f"earmark: error: {message}", err=True)
    return typer.Exit(2)


app = typer.Typer(
    cls=_Commands, help="What is in this audio? Classify audio with pretrained models.", no_args_is_help=True
)
models_app = typer.Typer(cls=_Commands, help="Built-in tasks and models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"earmark {__version__}")
        raise typer.Exit(0)


@app.callback()
def _setup(
    debug: Annotated[
        bool, typer.Option("--debug", help=f"Show tracebacks of internal errors (or {DEBUG_ENV}=1).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print earmark's version and exit.", is_eager=True, callback=_version)
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show earmark's debug log and the libraries' own messages and bars.")
    ] = False,
) -> None:
    """The CLI prints results and one-line errors; libraries' own progress bars and notices (transformers'
    "Loading weights", TFLite's "Created TensorFlow Lite XNNPACK delegate") would garble them, so they
    are shown only with --verbose. transformers reads these settings when (and if) a command imports it:
    a command that does not use it does not pay its import."""
    import sys

    if debug:
        os.environ[DEBUG_ENV] = "1"
    if verbose:
        logging.getLogger("earmark").setLevel(logging.DEBUG)
    os.environ["TRANSFORMERS_VERBOSITY"] = "info" if verbose else "error"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "0" if verbose else "1"
    if "transformers" in sys.modules:  # already imported (a Python caller of the CLI): set it directly
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_info() if verbose else hf_logging.set_verbosity_error()
        hf_logging.enable_progress_bar() if verbose else hf_logging.disable_progress_bar()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="earmark: %(levelname)s: %(message)s")
    app(prog_name="earmark")
