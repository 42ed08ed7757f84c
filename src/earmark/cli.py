"""The ``earmark`` command line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import EarmarkError, OptionError
from .tasks import TASKS

app = typer.Typer(help="What is in this audio? Classify audio with pretrained models.", no_args_is_help=True)
models_app = typer.Typer(help="Built-in tasks and models.", no_args_is_help=True)
app.add_typer(models_app, name="models")

TIMELINE_SUFFIXES = (".json", ".csv", ".txt")


class Pooling(str, Enum):
    mean = "mean"
    max = "max"
    vote = "vote"


class Function(str, Enum):
    softmax = "softmax"
    sigmoid = "sigmoid"
    none = "none"


@app.callback()
def _quiet_libraries() -> None:
    """The CLI prints results and one-line errors; libraries' own progress bars would garble them."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"earmark: error: {message}", err=True)
    return typer.Exit(2)


def expand_inputs(items: list[str]) -> list[str]:
    """Files and URLs as given; directories become their audio files, recursively and sorted."""
    from .labelled import AUDIO_SUFFIXES

    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise OptionError(f"{item}: directory holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
            out.extend(found)
        else:
            out.append(item)
    return out


@app.command()
def classify(
    audio: Annotated[list[str], typer.Argument(help="Audio files, directories or URLs.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory, Hub id, or task.")] = None,
    task: Annotated[
        Optional[str], typer.Option(help="A built-in task, with its default model (earmark models list).")
    ] = None,
    engine: Annotated[str, typer.Option(help="Whisper language-ID engine: auto, ct2 or transformers.")] = "auto",
    compute_type: Annotated[str, typer.Option(help="CTranslate2 precision: float32 or int8 (faster).")] = "float32",
    languages: Annotated[
        Optional[str],
        typer.Option(help="Only these candidates, comma-separated (codes or names); scores renormalised."),
    ] = None,
    labels: Annotated[Optional[str], typer.Option(help="Zero-shot labels, comma-separated (CLAP).")] = None,
    template: Annotated[Optional[str], typer.Option(help="Zero-shot prompt with {} for the label.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Labels to show per input.")] = 5,
    threshold: Annotated[Optional[float], typer.Option(help="Hide labels scoring below this.")] = None,
    function: Annotated[Optional[Function], typer.Option("--function", help="Scores from logits.")] = None,
    window_s: Annotated[Optional[float], typer.Option("--window-s", help="Window length (s) for long audio.")] = None,
    hop_s: Annotated[Optional[float], typer.Option("--hop-s", help="Step between windows (s).")] = None,
    pooling: Annotated[Optional[Pooling], typer.Option(help="Pool window scores: mean, max, or vote.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Clips per model call.")] = 8,
    timeline: Annotated[Optional[str], typer.Option(help="Write the timeline (.json, .csv, .txt Audacity).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: the pipeline's list for one input.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per input.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV rows: source,rank,label,score.")] = False,
    device: Annotated[str, typer.Option(help="torch device.")] = "cpu",
) -> None:
    """Classify audio files and print the top labels."""
    from .loading import load
    from .options import ClassifyOptions

    if sum((as_json, as_jsonl, as_csv)) > 1:
        raise _fail("choose one of --json, --jsonl, --csv")
    if (model is None) == (task is None):
        raise _fail("give either --model or --task (earmark models list shows the tasks)")
    try:
        sources = expand_inputs(audio)
        if timeline and len(sources) != 1:
            raise OptionError("--timeline writes one recording's timeline; give exactly one input")
        if timeline and not timeline.lower().endswith(TIMELINE_SUFFIXES):
            raise OptionError(f"--timeline {timeline!r}: unknown extension; allowed: {', '.join(TIMELINE_SUFFIXES)}")
        given = {
            "top_k": top_k,
            "threshold": threshold,
            "function_to_apply": function.value if function else None,
            "window_s": window_s,
            "hop_s": hop_s,
            "pooling": pooling.value if pooling else None,
            "restrict": tuple(x.strip() for x in languages.split(",")) if languages else None,
        }
        changes = {k: v for k, v in given.items() if v is not None} | {"batch_size": batch_size}
        if task is not None and task not in TASKS:
            raise OptionError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
        ClassifyOptions(**changes)  # bad options fail before a model is loaded
        label_list = [x.strip() for x in labels.split(",")] if labels is not None else None
        classifier = load(
            model or task, labels=label_list, template=template, engine=engine, compute_type=compute_type, device=device
        )
        # The classifier's own defaults (vote pooling and abstaining for language ID) under what was given.
        options = classifier.default_options.replace(**changes)
        failed = _print_results(classifier, sources, options, as_json, as_jsonl, as_csv, timeline)
    except EarmarkError as e:
        raise _fail(str(e)) from None
    if failed:
        raise typer.Exit(2)


def _print_results(classifier, sources, options, as_json, as_jsonl, as_csv, timeline) -> int:
    failures: list[str] = []
    single = len(sources) == 1
    predictions = classifier.iter_classify(_decoded(sources, failures, single), options)
    with _progress(len(sources), enabled=not single) as advance:
        if as_csv:
            typer.echo("source,rank,label,score")
        collected = []
        for prediction in predictions:
            advance()
            if as_csv:
                for rank, s in enumerate(prediction.scores, 1):
                    typer.echo(f"{json.dumps(prediction.source)},{rank},{json.dumps(s.label)},{s.score:.6f}")
            elif as_json:
                collected.append(prediction)
            elif as_jsonl or not single:
                typer.echo(json.dumps(prediction.to_dict()))
            else:
                _print_table(prediction)
            if timeline:
                prediction.timeline.export(timeline)
    if as_json:
        typer.echo(json.dumps(collected[0].to_list() if single else [p.to_dict() for p in collected]))
    return len(failures)


def _decoded(sources: list[str], failures: list[str], single: bool) -> Iterator:
    """Decode each input; with several inputs a bad one is reported and skipped, not fatal."""
    from .decode import load_audio
    from .errors import AudioError

    for source in sources:
        try:
            yield load_audio(source)
        except AudioError as e:
            if single:
                raise
            failures.append(source)
            typer.echo(f"earmark: error: {e}", err=True)


class _progress:
    """A rich progress bar on a terminal's stderr; nothing otherwise."""

    def __init__(self, total: int | None, *, enabled: bool, description: str = "classifying") -> None:
        self.total, self.bar, self.description = total, None, description
        self.enabled = enabled and sys.stderr.isatty()

    def __enter__(self):
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task(self.description, total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_table(prediction) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("label", "score")
    for s in prediction.scores:
        table.add_row(s.label, f"{s.score:.4f}")
    console = Console()
    console.print(f"{prediction.source} ({prediction.duration_s:.2f} s)", soft_wrap=True, highlight=False)
    console.print(table)
    for seg in prediction.timeline:
        console.print(f"  {seg.start_s:8.2f} - {seg.end_s:8.2f} s  {seg.label}  {seg.score:.3f}")


@app.command()
def listen(
    audio: Annotated[
        Optional[str], typer.Argument(help="An audio file, or - for stdin (raw s16le PCM or WAV).")
    ] = None,
    model: Annotated[
        list[str], typer.Option("--model", "-m", help="wake-word/NAME, wake-word/NAME@micro, or any classifier.")
    ] = ["wake-word/alexa"],  # noqa: B006  (typer needs the literal default)
    mic: Annotated[
        bool, typer.Option("--mic", help="Listen to the default microphone (pip install 'earmark[mic]').")
    ] = False,
    threshold: Annotated[
        Optional[float], typer.Option(help="Score that fires an event; default: each model's own.")
    ] = None,
    patience: Annotated[int, typer.Option(min=1, help="Consecutive frames above the threshold.")] = 1,
    refractory_s: Annotated[
        float, typer.Option("--refractory-s", min=0, help="Seconds before a label can fire again.")
    ] = 2.0,
    vad_threshold: Annotated[
        float,
        typer.Option(
            "--vad-threshold", min=0, max=1, help="Fire only where Silero VAD hears speech at least this; 0: off."
        ),
    ] = 0.5,
    rate: Annotated[int, typer.Option(min=1, help="Sample rate of raw PCM on stdin.")] = 16000,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per event.")] = False,
) -> None:
    """Listen to a stream and print an event each time a keyword is heard."""
    from .sources import file_chunks, mic_chunks, stdin_chunks
    from .streaming import StreamOptions
    from .wake_words import listener

    if mic == (audio is not None):
        raise _fail("give an audio file, - for stdin, or --mic")
    try:
        options = StreamOptions(
            threshold=threshold, patience=patience, refractory_s=refractory_s, vad_threshold=vad_threshold or None
        )
        stream = listener(model, options)
        chunks = mic_chunks() if mic else stdin_chunks(sample_rate=rate) if audio == "-" else file_chunks(audio)
        for chunk in chunks:
            for event in stream.push(chunk):
                _print_event(event, as_jsonl)
        for event in stream.flush():
            _print_event(event, as_jsonl)
    except EarmarkError as e:
        raise _fail(str(e)) from None
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _print_event(event, as_jsonl: bool) -> None:
    if as_jsonl:
        typer.echo(json.dumps(event.to_dict()))
    else:
        typer.echo(f"{event.end_s:9.2f} s  {event.label}  {event.score:.3f}")
    sys.stdout.flush()


HF_HELP = "For hf:ID / hf:audiofolder:DIR data"
SplitOption = Annotated[str, typer.Option(help=f"{HF_HELP}: the split.")]
ConfigOption = Annotated[Optional[str], typer.Option(help=f"{HF_HELP}: the configuration (subset).")]
StreamingOption = Annotated[bool, typer.Option(help=f"{HF_HELP}: stream rows instead of downloading it all.")]
LabelColumnOption = Annotated[str, typer.Option(help=f"{HF_HELP}: the label column.")]


@app.command()
def evaluate(
    data: Annotated[str, typer.Argument(help="A folder (one sub-folder per label) or a .csv/.jsonl manifest.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model directory, Hub id, task or .tflite file.")],
    label_pattern: Annotated[
        Optional[str], typer.Option(help="Regex whose first group is the label, matched on file names.")
    ] = None,
    label_map: Annotated[Optional[Path], typer.Option(help="JSON: model label -> dataset label.")] = None,
    only_model_labels: Annotated[bool, typer.Option(help="Keep only clips whose label the model has.")] = False,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Evaluate at most this many clips.")] = None,
    shuffle: Annotated[bool, typer.Option(help="Shuffle before --limit (seeded).")] = False,
    seed: Annotated[int, typer.Option(help="Seed for --shuffle.")] = 0,
    report: Annotated[Optional[Path], typer.Option(help="Write the JSON report here.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Write a confusion-matrix PNG here.")] = None,
    resume: Annotated[
        Optional[Path], typer.Option(help="JSONL of finished clips: resumed from and appended to.")
    ] = None,
    split: SplitOption = "train",
    config: ConfigOption = None,
    streaming: StreamingOption = False,
    label_column: LabelColumnOption = "label",
) -> None:
    """Evaluate a model on labelled audio: accuracy, macro-F1, per-class scores, confusion, speed."""
    from .evaluation import evaluate as run
    from .evaluation import match_labels, plot_confusion
    from .labelled import load_labelled
    from .loading import load

    try:
        hf = {"split": split, "config": config, "streaming": streaming, "label_column": label_column}
        clips = load_labelled(
            data,
            label_pattern=label_pattern,
            limit=None if only_model_labels else limit,
            shuffle=shuffle,
            seed=seed,
            hf=hf,
        )
        mapping = json.loads(label_map.read_text()) if label_map else None
        classifier = load(model)
        if only_model_labels:
            known = set(match_labels(classifier.labels, sorted({c.label for c in clips}), mapping).values())
            clips = [c for c in clips if c.label in known][:limit]
        with _progress(len(clips), enabled=True) as advance:
            result = run(classifier, clips, data=data, label_map=mapping, cache=resume, progress=lambda d, t: advance())
    except (EarmarkError, json.JSONDecodeError) as e:
        raise _fail(str(e)) from None
    if report:
        report.write_text(result.to_json())
    if plot:
        plot_confusion(result, plot)
    _print_report(result)


@app.command()
def compare(
    data: Annotated[str, typer.Argument(help="A folder (one sub-folder per label) or a .csv/.jsonl manifest.")],
    model: Annotated[list[str], typer.Option("--model", "-m", help="Two or more models to compare.")],
    label_pattern: Annotated[Optional[str], typer.Option(help="Regex whose first group is the label.")] = None,
    template: Annotated[str, typer.Option(help="Prompt for zero-shot models, with {} for the label.")] = (
        "This is a sound of {}."
    ),
    sort: Annotated[str, typer.Option(help="Metric to sort by: accuracy, macro_f1, top5_accuracy, clips_per_s.")] = (
        "accuracy"
    ),
    limit: Annotated[Optional[int], typer.Option(min=1, help="Evaluate at most this many clips.")] = None,
    shuffle: Annotated[bool, typer.Option(help="Shuffle before --limit (seeded).")] = False,
    seed: Annotated[int, typer.Option(help="Seed for --shuffle.")] = 0,
    report: Annotated[Optional[Path], typer.Option(help="Write all reports as JSON here.")] = None,
    only_model_labels: Annotated[bool, typer.Option(help="Keep only clips whose label every model has.")] = False,
    split: SplitOption = "train",
    config: ConfigOption = None,
    streaming: StreamingOption = False,
    label_column: LabelColumnOption = "label",
) -> None:
    """Evaluate several models on the same clips and print one table, best first."""
    from .evaluation import evaluate as run
    from .evaluation import match_labels, model_size, normalize_label
    from .labelled import load_labelled
    from .loading import load

    metrics = ("accuracy", "macro_f1", "top5_accuracy", "clips_per_s")
    if sort not in metrics:
        raise _fail(f"--sort {sort!r} is not allowed; use one of {', '.join(metrics)}")
    try:
        hf = {"split": split, "config": config, "streaming": streaming, "label_column": label_column}
        clips = load_labelled(data, label_pattern=label_pattern, limit=limit, shuffle=shuffle, seed=seed, hf=hf)
        dataset_labels = sorted({c.label for c in clips})
        classifiers = [load(name) for name in model]  # each loaded once
        if only_model_labels:
            for classifier in classifiers:
                if not _is_unbound_zero_shot(classifier):
                    known = set(match_labels(classifier.labels, dataset_labels).values())
                    clips = [c for c in clips if c.label in known]
            dataset_labels = sorted({c.label for c in clips})
        rows = []
        for classifier in classifiers:
            mapping = None
            if _is_unbound_zero_shot(classifier):
                # Zero-shot: the dataset's own label names (normalised) are the candidate labels.
                prompts = [normalize_label(label) for label in dataset_labels]
                classifier = classifier.with_labels(prompts, template)
                mapping = dict(zip(prompts, dataset_labels))
            with _progress(len(clips), enabled=True) as advance:
                result = run(classifier, clips, data=data, label_map=mapping, progress=lambda d, t: advance())
            rows.append((result, model_size(classifier)))
    except EarmarkError as e:
        raise _fail(str(e)) from None
    rows.sort(key=lambda row: getattr(row[0], sort), reverse=True)
    _print_comparison(rows)
    if report:
        report.write_text(json.dumps([r.to_dict() | {"size_bytes": size} for r, size in rows], indent=2))


def _is_unbound_zero_shot(classifier) -> bool:
    from .clap import ZeroShotClassifier

    return isinstance(classifier, ZeroShotClassifier) and classifier._labels is None


def _print_comparison(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "accuracy", "macro-F1", "top-5", "clips/s", "size")
    table.columns[0].overflow = "fold"
    for result, size in rows:
        shown = "?" if not size else f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"
        table.add_row(
            result.model,
            f"{result.accuracy:.1%}",
            f"{result.macro_f1:.3f}",
            f"{result.top5_accuracy:.1%}",
            f"{result.clips_per_s:.1f}",
            shown,
        )
    Console().print(table)


def _print_report(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{result.model} on {result.data}: {result.clips} clips, accuracy {result.accuracy:.1%}, "
        f"macro-F1 {result.macro_f1:.3f}, top-5 {result.top5_accuracy:.1%}, {result.clips_per_s:.1f} clips/s",
        soft_wrap=True,
        highlight=False,
    )
    table = Table("label", "precision", "recall", "f1", "support")
    for label, m in result.per_class.items():
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    if result.unmatched_dataset_labels:
        console.print(f"dataset labels the model does not have: {', '.join(result.unmatched_dataset_labels)}")


@app.command()
def show(
    audio: Annotated[str, typer.Argument(help="An audio file or URL.")],
    plot: Annotated[Optional[Path], typer.Option(help="Write a waveform + spectrogram PNG here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Duration, sample rate, channels and loudness of a recording; a picture of it with --plot."""
    from .decode import load_audio
    from .show import describe, plot_audio

    try:
        decoded = load_audio(audio)
        info = describe(decoded)
        if plot:
            plot_audio(decoded, plot)
    except EarmarkError as e:
        raise _fail(str(e)) from None
    if as_json:
        typer.echo(json.dumps(info.to_dict()))
        return
    typer.echo(
        f"{info.source}: {info.duration_s:.3f} s, {info.sample_rate} Hz, {info.channels} channel(s), "
        f"RMS {info.rms_dbfs:.1f} dBFS, peak {info.peak_dbfs:.1f} dBFS"
    )


class Mode(str, Enum):
    head = "head"
    finetune = "finetune"


class Head(str, Enum):
    logistic = "logistic"
    mlp = "mlp"
    attention = "attention"


@app.command()
def train(
    data: Annotated[str, typer.Argument(help="Labelled audio: a label-folder, manifest or hf: dataset.")],
    out: Annotated[Path, typer.Option(help="Folder to write the model to.")],
    mode: Annotated[
        Mode, typer.Option(help="head: a small head on a frozen encoder; finetune: the whole model.")
    ] = Mode.head,
    encoder: Annotated[
        str, typer.Option(help="head: openwakeword, whisper-base, or a transformers audio model (Hub id or folder).")
    ] = "openwakeword",
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
    licence: Annotated[
        Optional[str], typer.Option(help="Licence of the training data, for the model card (default: found in DATA).")
    ] = None,
) -> None:
    """Train a classifier on your labels; the folder is a normal earmark model with a model card."""
    from .labelled import load_labelled

    try:
        clips = load_labelled(data, label_pattern=label_pattern, label_field=label_field)
        common = dict(split_by=split_by, test_groups=test_group, test_size=test_size, seed=seed, data=data)
        if mode is Mode.finetune:
            from .finetuning import FinetuneConfig, finetune

            if not model:
                raise OptionError("--mode finetune needs --model: a Hub id or a local checkpoint")
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
            from .training import train_head

            with _progress(len(clips), enabled=True, description="encoding") as advance:
                report = train_head(
                    clips,
                    out,
                    encoder=encoder,
                    head=head.value,
                    licence=licence,
                    progress=lambda d, t: advance(),
                    **common,
                )
    except EarmarkError as e:
        raise _fail(str(e)) from None
    typer.echo(
        f"{out}: held-out accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f} "
        f"({report.train_clips} train / {report.validation_clips} validation / {report.test_clips} test clips, "
        f"{report.seconds:.0f} s); model card: {out / 'README.md'}"
    )


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
    licence: Annotated[Optional[str], typer.Option(help="Licence of the recordings, for the model card.")] = None,
) -> None:
    """Train a detector for a new keyword; use it with `earmark listen --model OUT`."""
    from .labelled import LabelledClip
    from .training import train_keyword

    try:
        label = word or Path(positives).resolve().name
        found = expand_inputs([positives])
        if limit:
            import random

            found = sorted(random.Random(seed).sample(found, min(limit, len(found))))
        others = expand_inputs(negatives)
        with _progress(None, enabled=True, description="encoding") as advance:
            report = train_keyword(
                [LabelledClip(f, label) for f in found],
                [LabelledClip(f, "_other") for f in others],
                out,
                keyword=label,
                encoder=encoder,
                head=head.value,
                seed=seed,
                data=positives,
                licence=licence,
                progress=lambda d, t: advance(),
            )
    except EarmarkError as e:
        raise _fail(str(e)) from None
    evaluation = json.loads((out / "evaluation.json").read_text())
    typer.echo(
        f"{out}: on held-out clips the keyword is caught in {evaluation['recall']:.1%} and "
        f"{evaluation['false_accept_rate']:.1%} of other clips fire ({report.train_clips} train / "
        f"{report.test_clips} test clips, {report.seconds:.0f} s); listen: earmark listen FILE --model {out}"
    )


@models_app.command("list")
def models_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show the built-in tasks and the model each loads by default."""
    if as_json:
        typer.echo(json.dumps([t.__dict__ for t in TASKS.values()]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("task", "default model", "what it hears")
    table.columns[0].no_wrap = True
    for column in table.columns[1:]:
        column.overflow = "fold"
    for t in TASKS.values():
        table.add_row(t.name, t.default_model, t.description)
    Console().print(table)


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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find models on the Hugging Face Hub by task and dataset (honours HF_ENDPOINT)."""
    from .hub_search import search_models

    try:
        found = search_models(task=task, dataset=dataset, search=search, sort=sort, limit=limit)
    except EarmarkError as e:
        raise _fail(str(e)) from None
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
    from .whisper_convert import convert_ct2_whisper
    from .whisper_weights import whisper_base_ct2

    try:
        typer.echo(convert_ct2_whisper(source or whisper_base_ct2(), out))
    except EarmarkError as e:
        raise _fail(str(e)) from None


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="earmark: %(levelname)s: %(message)s")
    app(prog_name="earmark")
