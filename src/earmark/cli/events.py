"""``earmark evaluate RECORDINGS --annotations ANN``: events in long recordings against annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..frames import SlidingWindowScorer
from ..options import LoadOptions
from .options import load_model

AnnotationsOption = Annotated[
    Optional[list[str]],
    typer.Option(
        help="DATA is long recordings annotated in these Raven tables, Audacity label tracks or CSV "
        "(path,start_s,end_s,label): event- and segment-based metrics."
    ),
]
EventThresholdOption = Annotated[
    Optional[float], typer.Option(help="--annotations: one threshold for every class (replaces calibrated ones).")
]
WindowOption = Annotated[Optional[float], typer.Option("--window-s", help="--annotations: window length (s).")]
HopOption = Annotated[Optional[float], typer.Option("--hop-s", help="--annotations: step between windows (s).")]
DetectorOption = Annotated[
    Optional[bool],
    typer.Option(
        "--detector/--classifier",
        help="--annotations: stream as listen does (events, DET curve) or score windows; default: "
        "detector for wake words and keyword models.",
    ),
]
VadOption = Annotated[
    float, typer.Option("--vad-threshold", min=0, max=1, help="--detector: listen's VAD gate; 0: off.")
]


def evaluate_recordings(
    data: str,
    ref: Any,
    annotations: list[str],
    load_options: LoadOptions,
    *,
    threshold: float | None,
    window_s: float | None,
    hop_s: float | None,
    detector: bool | None,
    vad_threshold: float,
    report: Path | None,
    plot: Path | None,
    label_map: dict[str, str] | None,
) -> int:
    """Score, print, write the report and plots; returns the exit code."""
    from ..io.annotations import read_annotations
    from ..io.decode import expand_sources

    paths = expand_sources([data])
    reference = read_annotations(annotations, paths)
    classifier = load_model(ref, load_options)
    if detector is None:  # a model with its own frame-by-frame front end is a detector
        detector = not all(isinstance(s, SlidingWindowScorer) for s in classifier.frame_scorers())
    if detector:
        from ..evaluation.events import evaluate_detector
        from ..streaming import StreamOptions

        stream = StreamOptions(threshold=threshold, vad_threshold=vad_threshold or None)
        result = evaluate_detector([ref.text], paths, reference, stream, load_options=load_options, label_map=label_map)
        curves = {"det": result["det"]}
    else:
        from ..evaluation.events import evaluate_events

        chosen: Any = threshold
        if chosen is None:
            chosen = classifier.calibration.thresholds if classifier.calibration is not None else 0.5
        result = evaluate_events(
            classifier, paths, reference, thresholds=chosen, window_s=window_s, hop_s=hop_s, label_map=label_map
        )
        curves = {"pr_curves": result["pr_curves"]}
    note = classifier.thresholds_note(classifier.default_options.replace(threshold=threshold))
    out = {"model": ref.text, "data": data, "detector": detector, "thresholds_applied": note, "events": result}
    _print(out)
    if report:
        report.write_text(json.dumps(out, indent=2))
    if plot:
        _plot(curves, result["thresholds"], plot)
    return 0


def _print(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    events = out["events"]
    console = Console()
    extra = f", {events['fa_per_hour']:.2f} false accepts/hour" if "fa_per_hour" in events else ""
    console.print(
        f"{out['model']} on {events['recordings']} recordings ({events['hours']:.2f} h): events P "
        f"{events['precision']:.3f} R {events['recall']:.3f} F1 {events['f1']:.3f}{extra}",
        soft_wrap=True,
        highlight=False,
    )
    if "segments" in events:
        seg = events["segments"]
        console.print(
            f"1 s segments: P {seg['precision']:.3f} R {seg['recall']:.3f} F1 {seg['f1']:.3f} "
            f"ER {seg['error_rate']:.3f}",
            highlight=False,
        )
    table = Table("label", "threshold", "precision", "recall", "f1", "hits", "false", "missed")
    for label, m in events["per_class"].items():
        t = events["thresholds"].get(label)
        table.add_row(
            label,
            "-" if t is None else f"{t:.4g}",
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["tp"]),
            str(m["fp"]),
            str(m["fn"]),
        )
    console.print(table)
    if out["thresholds_applied"]:
        typer.echo(f"earmark: thresholds: {out['thresholds_applied']}", err=True)


def _plot(curves: dict[str, Any], chosen: dict[str, float], folder: Path) -> None:
    from ..evaluation.plots import plot_det, plot_pr

    folder.mkdir(parents=True, exist_ok=True)
    if "det" in curves:
        path = plot_det(curves["det"], chosen, folder / "det.png", "annotated recordings")
    else:
        pr = {
            label: {k: [p[k] for p in points] for k in ("threshold", "precision", "recall")}
            for label, points in curves["pr_curves"].items()
        }
        path = plot_pr(pr, chosen, folder / "pr.png", "event-based")
    typer.echo(f"earmark: wrote {path}", err=True)
