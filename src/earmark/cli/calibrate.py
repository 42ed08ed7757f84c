"""``earmark calibrate``: per-class thresholds to a precision, recall or false-accept target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import OptionError
from ..options import LoadOptions
from .app import app
from .evaluate import _read_label_map
from .options import (
    BatchSizeOption,
    LabelMapOption,
    LabelPatternOption,
    LimitOption,
    ModelOption,
    SeedOption,
    ShuffleOption,
    TaskOption,
    load_model,
    model_ref,
    with_load_options,
)
from .output import Progress, print_calibration

DataArgument = Annotated[
    Optional[str], typer.Argument(help="Labelled audio: a folder (one sub-folder per label) or a manifest.")
]
ConfidenceOption = Annotated[
    float,
    typer.Option(
        min=0, max=0.999, help="precision/recall: met at this one-sided confidence (Clopper-Pearson); 0: on the clips."
    ),
]
TargetOption = Annotated[
    str, typer.Option(help="precision=P, recall=R (labelled clips), or fa-per-hour=X (detectors, with --negatives).")
]


@app.command()
@with_load_options
def calibrate(
    data: DataArgument = None,
    model: ModelOption = None,
    task: TaskOption = None,
    target: TargetOption = "precision=0.95",
    out: Annotated[
        Optional[Path], typer.Option(help="A model folder (calibration.json is written into it) or a .json file.")
    ] = None,
    negatives: Annotated[
        Optional[list[str]],
        typer.Option(help="fa-per-hour: folders or files of audio without the words, streamed as listen does."),
    ] = None,
    method: Annotated[str, typer.Option(help="Score calibration: none, platt or isotonic.")] = "none",
    db: Annotated[
        Optional[Path], typer.Option(help="Calibrate on an embedding index's reviewed windows instead of DATA.")
    ] = None,
    min_examples: Annotated[
        int, typer.Option(min=1, help="Fewer clips of a class than this: no threshold for it.")
    ] = 10,
    confidence: ConfidenceOption = 0.95,
    label_pattern: LabelPatternOption = None,
    label_map: LabelMapOption = None,
    limit: LimitOption = None,
    shuffle: ShuffleOption = False,
    seed: SeedOption = 0,
    vad_threshold: Annotated[
        float, typer.Option("--vad-threshold", min=0, max=1, help="fa-per-hour: listen's VAD gate; 0: off.")
    ] = 0.5,
    patience: Annotated[int, typer.Option(min=1, help="fa-per-hour: listen's --patience.")] = 1,
    refractory_s: Annotated[float, typer.Option("--refractory-s", min=0, help="fa-per-hour: listen's.")] = 2.0,
    plot: Annotated[
        Optional[Path], typer.Option(help="A folder for PNGs: PR curves, reliability diagram, DET curve.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the calibration JSON.")] = False,
    batch_size: BatchSizeOption = 8,
    *,
    load_options: LoadOptions,
) -> None:
    """Choose one threshold per class that meets a target, with the precision/recall it reaches and a
    bootstrap 95 % interval; write calibration.json (used by classify, batch, serve, listen, evaluate)."""
    from ..calibration import Target
    from ..io.decode import expand_sources
    from ..io.labelled import load_labelled

    wanted = Target.parse(target)
    _check(wanted, out, data, db, negatives, method)
    ref = model_ref(model, task)
    load = load_options.replace(calibration="none")  # thresholds are chosen on the raw scores
    if db is not None:
        clips = _reviewed_clips(db, ref.target)
    else:
        clips = load_labelled(data, label_pattern=label_pattern, limit=limit, shuffle=shuffle, seed=seed)
    mapping = _read_label_map(label_map)
    where = str(db or data)
    if wanted.kind == "fa-per-hour":
        from ..streaming import StreamOptions

        stream = StreamOptions(patience=patience, refractory_s=refractory_s, vad_threshold=vad_threshold or None)
        result = _streamed(ref, clips, expand_sources(negatives or []), wanted, stream, load, mapping, min_examples,
                           where)  # fmt: skip
    else:
        from ..evaluation.calibrate import calibrate as fit
        from ..evaluation.calibrate import score_table

        classifier = load_model(ref, load)
        with Progress(len(clips), description="scoring") as advance:
            table = score_table(
                classifier, clips, label_map=mapping, batch_size=batch_size, progress=lambda d, t: advance()
            )
        result = fit(
            table,
            wanted,
            method=method,
            min_examples=min_examples,
            confidence=confidence,
            model=ref.text,
            data=where,
            seed=seed,
        )
    written = result.write(out)
    result = result.replace(path=str(written))
    if plot:
        from ..evaluation.plots import plot_calibration

        for path in plot_calibration(result, plot):
            typer.echo(f"earmark: wrote {path}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_dict() | {"path": str(written)}))
    else:
        print_calibration(result)
    typer.echo(f"earmark: {result.describe()} -> {written}", err=True)


def _streamed(ref, clips, files, wanted, stream, load, mapping, min_examples, where) -> Any:
    """fa-per-hour: the negatives and each positive streamed as listen streams them."""
    from ..evaluation.detection import calibrate_streams

    with Progress(len(files) + len(clips), description="streaming") as advance:
        return calibrate_streams(
            [ref.text], clips, files, wanted, stream, load_options=load, label_map=mapping,
            min_examples=min_examples, data=where, progress=lambda d, t: advance(),
        )  # fmt: skip


def _check(wanted: Any, out: Path | None, data: str | None, db: Path | None, negatives: Any, method: str) -> None:
    """Refuse a request that cannot be carried out, before any model loads."""
    if out is None:
        raise OptionError("give --out: a model folder (calibration.json goes into it) or a .json file")
    if out.suffix.lower() != ".json" and not out.is_dir():
        raise OptionError(f"--out {str(out)!r}: give a model folder (it exists) or a .json file")
    if (data is None) == (db is None):
        raise OptionError("give labelled DATA or --db INDEX (its reviewed windows), one of them")
    if wanted.kind == "fa-per-hour" and not negatives:
        raise OptionError(f"--target {wanted} needs --negatives: hours of audio without the words")
    if wanted.kind == "fa-per-hour" and method != "none":
        raise OptionError(
            f"--method {method}: score maps need labelled clips of every class; use it with precision/recall"
        )


def _reviewed_clips(db: Path, model: str) -> list:
    """The index's reviewed windows as labelled clips (negatives as ``_other``); for a head trained
    from this index, only decisions made after it was trained (the rest trained it)."""
    from ..index import Index
    from ..index.labels import Labels
    from ..index.suggest import training_set
    from ..io.clips import LabelledClip

    index = Index(db)
    labels = Labels(index)
    after = _trained_at_seq(model, index)
    ids, classes = training_set(labels, None, after_seq=after)
    windows = index.by_ids(set(ids))
    return [
        LabelledClip(windows[i]["path"], c, windows[i]["start_s"], windows[i]["end_s"]) for i, c in zip(ids, classes)
    ]


def _trained_at_seq(model: str, index) -> int | None:
    config = Path(model) / "earmark.json"
    try:
        trained = json.loads(config.read_text()).get("index") or {}
    except (OSError, ValueError):
        return None
    if Path(trained.get("db", "")).resolve() != Path(index.path).resolve():
        return None
    return trained.get("labels_seq")
