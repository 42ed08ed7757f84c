"""The ``earmark`` command line: one module per command group, registered on one Typer app."""

from . import batch, calibrate, classify, evaluate, export, index, listen, models, serve, show, speakers, train  # noqa: F401  (each registers its commands)
from .app import app, main

__all__ = ["app", "main"]
