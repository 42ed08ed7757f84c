"""``earmark train`` and ``earmark train-keyword``: models of your own labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..engines.head import OTHER
from ..errors import OptionError
from .app import app
from .options import Head, LicenceOption, Mode
from .output import Progress, print_failures


@app.command()
def train(
    data: Annotated[
        Optional[str], typer.Argument(help="Labelled audio: a label-folder, manifest or hf: dataset (or --db).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder to write the model to.")] = Path("earmark-model"),
    db: Annotated[
        Optional[Path], typer.Option(help="Train from an index's reviewed labels (earmark embed/labels/review).")
    ] = None,
    label: Annotated[Optional[str], typer.Option(help="--db: one detector for this label (else every label).")] = None,
    mode: Annotated[
        Mode, typer.Option(help="head: a small head on a frozen encoder; finetune: the whole model.")
    ] = Mode.head,
    encoder: Annotated[
        str,
        typer.Option(
            help="head: auto (the best of openwakeword+whisper-base and birdnet on the training clips), openwakeword, "
            "whisper-base, birdnet, musicnn, a transformers audio model, or several joined with +."
        ),
    ] = "auto",
    head: Annotated[Head, typer.Option(help="head: logistic, mlp or attention (attentive statistics pooling).")] = (
        Head.logistic
    ),
    model: Annotated[
        Optional[str], typer.Option("--model", "-m", help="finetune: an audio-classification checkpoint or base model.")
    ] = None,
    label_pattern: Annotated[Optional[str], typer.Option(help="Regex whose first group is the label.")] = None,
    label_field: Annotated[
        Optional[str], typer.Option(help="JSON label files: the (dotted) field holding the label.")
    ] = None,
    split_by: Annotated[
        Optional[str], typer.Option(help="Regex whose first group is the group (speaker, recording, fold).")
    ] = None,
    test_group: Annotated[Optional[list[str]], typer.Option(help="Hold out these groups for testing.")] = None,
    test_size: Annotated[float, typer.Option(min=0.01, max=0.9, help="Share held out when no --test-group.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed for the split and the training.")] = 0,
    learning_rate: Annotated[float, typer.Option(help="finetune: peak learning rate.")] = 5e-5,
    epochs: Annotated[float, typer.Option(help="finetune: epochs.")] = 10.0,
    batch_size: Annotated[int, typer.Option(min=1, help="finetune: clips per device batch.")] = 8,
    grad_accum: Annotated[int, typer.Option(min=1, help="finetune: gradient accumulation steps.")] = 1,
    warmup_ratio: Annotated[float, typer.Option(help="finetune: share of steps for linear warm-up.")] = 0.1,
    max_duration_s: Annotated[float, typer.Option(help="finetune: clips are cut to this many seconds.")] = 30.0,
    max_steps: Annotated[int, typer.Option(help="finetune: stop after this many steps (-1: all epochs).")] = -1,
    licence: LicenceOption = None,
    engine: Annotated[
        Optional[str],
        typer.Option(help="head: 'onnx' runs a transformers --encoder on ONNX Runtime (exported once)."),
    ] = None,
    compute_type: Annotated[str, typer.Option(help="head, --engine onnx: the encoder's float32 or int8.")] = "float32",
) -> None:
    """Train a classifier on your labels; the folder is a normal earmark model with a model card."""
    from ..io.labelled import load_labelled

    if (db is None) == (data is None):
        raise OptionError("train needs DATA (labelled audio) or --db INDEX, not both")
    if db is not None:
        from ..training.from_index import train_from_index

        summary = train_from_index(db, out, label=label, head=head.value, seed=seed)
        typer.echo(
            f"{out}: head on {summary['windows']} reviewed windows {summary['classes']}, training accuracy "
            f"{summary['train_accuracy']:.1%}; run it with: earmark classify FILE --model {out}"
        )
        return
    clips = load_labelled(data, label_pattern=label_pattern, label_field=label_field)
    common = dict(split_by=split_by, test_groups=test_group, test_size=test_size, seed=seed, data=data)
    if mode is Mode.finetune:
        from ..training.finetune import FinetuneConfig, finetune

        if not model:
            raise OptionError("--mode finetune needs --model: a Hub id or a local checkpoint")
        if engine:
            raise OptionError(f"--engine {engine} is for --mode head (the encoder's runtime); finetune trains on torch")
        config = FinetuneConfig(
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            gradient_accumulation_steps=grad_accum,
            warmup_ratio=warmup_ratio,
            max_duration_s=max_duration_s,
            max_steps=max_steps,
        )
        report = finetune(clips, out, model=model, config=config, licence=licence, **common)
    else:
        from ..training import TrainOptions, train_head

        runtime = {"encoder_engine": engine or "transformers", "compute_type": compute_type}
        options = TrainOptions(encoder=encoder, head=head.value, licence=licence, **runtime, **common)
        bar = Progress(len(clips), description="encoding").start()
        try:  # each candidate encoder of --encoder auto counts the clips again
            report = train_head(clips, out, options, progress=bar.update)
        finally:
            bar.stop()
    typer.echo(
        f"{out}: held-out accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f} "
        f"({report.train_clips} train / {report.validation_clips} validation / {report.test_clips} test clips, "
        f"{report.seconds:.0f} s); model card: {out / 'README.md'}"
    )
    failed = report.details.get("failed") or []
    print_failures(failed, len(clips))
    if failed:
        raise typer.Exit(2)


@app.command("train-keyword")
def train_keyword_command(
    positives: Annotated[str, typer.Argument(help="A folder of recordings of the keyword (20-50 clips is enough).")],
    out: Annotated[Path, typer.Option(help="Folder to write the detector to.")],
    negatives: Annotated[
        list[str], typer.Option(help="Folders or files of other audio (speech, noise, other words); repeatable.")
    ],
    word: Annotated[
        Optional[str], typer.Option(help="The keyword's label (default: the positives folder's name).")
    ] = None,
    encoder: Annotated[str, typer.Option(help="openwakeword, whisper-base, or a transformers audio model.")] = (
        "openwakeword"
    ),
    head: Annotated[Head, typer.Option(help="logistic, mlp or attention.")] = Head.logistic,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Use at most this many positive clips.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split, the negative crops and the head.")] = 0,
    licence: LicenceOption = None,
    fa_per_hour: Annotated[
        float,
        typer.Option(
            "--fa-per-hour", min=0, help="Threshold for this many false accepts per hour (calibration.json); 0: none."
        ),
    ] = 0.5,
    calibration_negatives: Annotated[
        Optional[list[str]],
        typer.Option(help="Long audio without the word, only for choosing the threshold (hours of it); repeatable."),
    ] = None,
) -> None:
    """Train a detector for a new keyword; use it with `earmark listen --model OUT`. Its threshold is
    chosen for --fa-per-hour on the held-out negatives and --calibration-negatives, streamed as listen does."""
    from ..io.decode import expand_sources
    from ..io.labelled import LabelledClip
    from ..training import train_keyword

    label = word or Path(positives).resolve().name
    found = expand_sources([positives])
    if limit:
        import random

        found = sorted(random.Random(seed).sample(found, min(limit, len(found))))
    others = expand_sources(negatives)
    with Progress(None, description="encoding") as advance:
        report = train_keyword(
            [LabelledClip(f, label) for f in found],
            [LabelledClip(f, OTHER) for f in others],
            out,
            keyword=label,
            encoder=encoder,
            head=head.value,
            seed=seed,
            data=positives,
            licence=licence,
            progress=lambda d, t: advance(),
            fa_per_hour=fa_per_hour or None,
            calibration_negatives=expand_sources(calibration_negatives) if calibration_negatives else (),
        )
    evaluation = json.loads((out / "evaluation.json").read_text())
    if fa_per_hour:
        from ..calibration import Calibration

        calibration = Calibration.read(out)
        for c in calibration.classes:
            typer.echo(
                f"earmark: threshold {c.threshold:.4g} for {c.label}: {c.fa_per_hour:.2f} false accepts/hour on "
                f"{calibration.negatives_hours:.2f} h of negatives, {c.miss_rate:.1%} of {c.positives} held-out "
                "recordings missed"
                if c.threshold is not None
                else f"earmark: no calibrated threshold for {c.label}: {c.reason}",
                err=True,
            )
    typer.echo(
        f"{out}: on held-out clips the keyword is caught in {evaluation['recall']:.1%} and "
        f"{evaluation['false_accept_rate']:.1%} of other clips fire ({report.train_clips} train / "
        f"{report.test_clips} test clips, {report.seconds:.0f} s); listen: earmark listen FILE --model {out}"
    )
