"""``earmark evaluate`` and ``earmark compare``: models on labelled audio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import OptionError
from ..options import LoadOptions
from .app import app
from .events import AnnotationsOption, DetectorOption, EventThresholdOption, HopOption, VadOption, WindowOption
from .options import (
    BatchSizeOption,
    ConfigOption,
    LabelColumnOption,
    LabelMapOption,
    LabelPatternOption,
    LimitOption,
    Metric,
    ModelOption,
    SeedOption,
    ShuffleOption,
    SplitOption,
    StreamingOption,
    TaskOption,
    load_model,
    model_ref,
    with_load_options,
)
from .output import Progress, print_comparison, print_failures, print_report

DataArgument = Annotated[str, typer.Argument(help="A folder (one sub-folder per label) or a .csv/.jsonl manifest.")]


def _read_label_map(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise OptionError(f"--label-map {path}: not a readable JSON object ({e})") from e


@app.command()
@with_load_options
def evaluate(
    data: DataArgument,
    model: ModelOption = None,
    task: TaskOption = None,
    label_pattern: LabelPatternOption = None,
    label_map: LabelMapOption = None,
    only_model_labels: Annotated[bool, typer.Option(help="Keep only clips whose label the model has.")] = False,
    limit: LimitOption = None,
    shuffle: ShuffleOption = False,
    seed: SeedOption = 0,
    report: Annotated[Optional[Path], typer.Option(help="Write the JSON report here.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Write a confusion-matrix PNG here.")] = None,
    resume: Annotated[
        Optional[Path], typer.Option(help="JSONL of finished clips: resumed from and appended to.")
    ] = None,
    split: SplitOption = "train",
    config: ConfigOption = None,
    streaming: StreamingOption = False,
    label_column: LabelColumnOption = "label",
    batch_size: BatchSizeOption = 8,
    annotations: AnnotationsOption = None,
    threshold: EventThresholdOption = None,
    window_s: WindowOption = None,
    hop_s: HopOption = None,
    detector: DetectorOption = None,
    vad_threshold: VadOption = 0.5,
    *,
    load_options: LoadOptions,
) -> None:
    """Evaluate a model on labelled audio: accuracy, macro-F1, per-class scores, confusion, speed; with
    --annotations, events in long recordings (sed_eval's event- and segment-based metrics, DET curve)."""
    from ..evaluation import evaluate as run
    from ..evaluation import match_labels, plot_confusion
    from ..evaluation.compare import bind_dataset_labels
    from ..io.labelled import load_labelled

    ref = model_ref(model, task)
    if annotations:
        from .events import evaluate_recordings

        found = dict(threshold=threshold, window_s=window_s, hop_s=hop_s, detector=detector, plot=plot)  # noqa: C408
        mapping = _read_label_map(label_map)
        code = evaluate_recordings(data, ref, annotations, load_options, **found, vad_threshold=vad_threshold,
                                   report=report, label_map=mapping)  # fmt: skip
        raise typer.Exit(code)

    hf = {"split": split, "config": config, "streaming": streaming, "label_column": label_column}
    clips = load_labelled(
        data,
        label_pattern=label_pattern,
        limit=None if only_model_labels else limit,
        shuffle=shuffle,
        seed=seed,
        hf=hf,
    )
    mapping = _read_label_map(label_map)
    classifier = load_model(ref, load_options)
    if not classifier.labels_bound:  # zero-shot without --labels: the dataset's labels are the candidates
        labels = sorted({c.label for c in clips})
        classifier, prompts = bind_dataset_labels(classifier, labels, load_options.template)
        mapping = prompts | (mapping or {})
    if only_model_labels:
        known = set(match_labels(classifier.labels, sorted({c.label for c in clips}), mapping).values())
        clips = [c for c in clips if c.label in known][:limit]
    with Progress(len(clips)) as advance:
        result = run(
            classifier,
            clips,
            data=data,
            label_map=mapping,
            cache=resume,
            batch_size=batch_size,
            progress=lambda d, t: advance(),
        )
    if report:
        report.write_text(result.to_json())
    if plot:
        plot_confusion(result, plot)
    print_report(result)
    print_failures(list(result.failed), result.clips + result.failed_clips)
    if result.failed_clips:
        raise typer.Exit(2)


@app.command()
@with_load_options
def compare(
    data: DataArgument,
    model: Annotated[
        list[str],
        typer.Option("--model", "-m", help="Two or more models; MODEL@onnx-int8 runs one on another engine."),
    ],
    label_pattern: LabelPatternOption = None,
    label_map: LabelMapOption = None,
    sort: Annotated[Metric, typer.Option(help="Metric to sort by.")] = Metric.accuracy,
    limit: LimitOption = None,
    shuffle: ShuffleOption = False,
    seed: SeedOption = 0,
    report: Annotated[Optional[Path], typer.Option(help="Write all reports as JSON here.")] = None,
    plot: Annotated[
        Optional[Path], typer.Option(help="Confusion-matrix PNGs: PATH's name + the model's place (cm-1.png, ...).")
    ] = None,
    resume: Annotated[
        Optional[Path], typer.Option(help="A folder of resume journals, one per model: resumed from and appended to.")
    ] = None,
    only_model_labels: Annotated[bool, typer.Option(help="Keep only clips whose label every model has.")] = False,
    split: SplitOption = "train",
    config: ConfigOption = None,
    streaming: StreamingOption = False,
    label_column: LabelColumnOption = "label",
    batch_size: BatchSizeOption = 8,
    at: Annotated[
        Optional[str],
        typer.Option(
            help="Compare where they would run: precision=P (recall there), or fa-per-hour=X with --negatives."
        ),
    ] = None,
    negatives: Annotated[
        Optional[list[str]], typer.Option(help="--at fa-per-hour: audio without the words, streamed as listen does.")
    ] = None,
    min_examples: Annotated[
        int, typer.Option(min=1, help="--at: fewer clips of a class than this: no threshold.")
    ] = 10,
    *,
    load_options: LoadOptions,
) -> None:
    """Evaluate several models on the same clips and print one table, best first (with --at, by
    recall at that operating point)."""
    from ..calibration import Target
    from ..evaluation import plot_confusion
    from ..evaluation.compare import compare, keep_model_labels
    from ..io.decode import expand_sources
    from ..io.labelled import load_labelled

    mapping = _read_label_map(label_map)
    hf = {"split": split, "config": config, "streaming": streaming, "label_column": label_column}
    clips = load_labelled(data, label_pattern=label_pattern, limit=limit, shuffle=shuffle, seed=seed, hf=hf)
    classifiers = [load_model(name, load_options) for name in model]  # each loaded once
    if only_model_labels:
        clips = keep_model_labels(classifiers, clips)
    bars: list[Progress] = []  # one bar per model, named after it

    def progress(name: str, done: int, total: int) -> None:
        if not bars or bars[-1].description != name:
            if bars:
                bars[-1].stop()
            bars.append(Progress(total, description=name).start())
        bars[-1].advance()

    try:
        rows = compare(
            classifiers,
            clips,
            data=data,
            template=load_options.template,
            sort=sort.value,
            label_map=mapping,
            resume=resume,
            batch_size=batch_size,
            progress=progress,
            at=Target.parse(at) if at else None,
            min_examples=min_examples,
            negatives=expand_sources(negatives) if negatives else (),
        )
    finally:
        for bar in bars:
            bar.stop()
    print_comparison(rows)
    if plot:
        for place, row in enumerate(rows, start=1):
            plot_confusion(row.report, plot.with_name(f"{plot.stem}-{place}{plot.suffix or '.png'}"))
    if report:
        report.write_text(json.dumps([row.to_dict() for row in rows], indent=2))
    failed = {f.source: f for row in rows for f in row.report.failed}  # a bad clip fails for every model
    print_failures(list(failed.values()), len(clips))
    if failed:
        raise typer.Exit(2)
