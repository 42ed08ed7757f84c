"""``earmark export``: a model as a folder that runs without torch (ONNX Runtime and NumPy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .options import LabelsOption, TemplateOption


@app.command("export")
def export_command(
    model: Annotated[
        str, typer.Argument(help="A transformers classifier, CLAP (with --labels) or an earmark head folder.")
    ],
    out: Annotated[Path, typer.Option(help="The new folder to write (must not exist, or be empty).")],
    compute_type: Annotated[str, typer.Option(help="Precision: float32, or int8 (dynamic quantisation).")] = "float32",
    labels: LabelsOption = None,
    template: TemplateOption = None,
    revision: Annotated[Optional[str], typer.Option(help="A Hub revision (branch, tag or commit).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Export MODEL into a self-contained folder: its ONNX graph, NumPy front end, labels and an earmark.json
    manifest with hashes and parity figures. Every command runs the folder (--model DIR) on the core
    install (pip install earmark: no torch). Exporting itself needs the full install."""
    from ..export import export

    report = export(model, out, compute_type=compute_type, labels=labels, template=template, revision=revision)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    size = sum(report.files.values()) / 1e6
    parity = report.parity
    typer.echo(f"exported {model} -> {report.folder} ({report.kind}, {report.compute_type}, {size:.1f} MB)")
    typer.echo(
        f"  against the original: max |logit diff| {parity['original_max_abs_diff']:.2e}, "
        f"top-1 agreement {parity['original_top1_agreement']:.0%} on {parity['probes']} probe clips"
    )
    if "onnx_engine_max_abs_diff" in parity:
        typer.echo(f"  against the onnx engine: max |logit diff| {parity['onnx_engine_max_abs_diff']:.2e}")
