"""Filler classes never fire in `listen`, the wake-word task means its default model, timelines
export without overlap, and the CLI's small promises (--version, did you mean, not both)."""

import json

import numpy as np
from typer.testing import CliRunner

import earmark
from earmark.cli import app
from earmark.results import Score, Segment, Timeline

from synthetic import shared_path

runner = CliRunner()


def test_keyword_spotting_fillers_do_not_fire(tmp_path):
    model = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    folder = shared_path("data", "speech_commands")
    words = ("yes", "no", "up", "down", "left", "right", "cat", "house", "tree", "bird")
    clips = [p for w in words for p in sorted((folder / w).glob("*.wav"))[:4]]
    stream = np.concatenate([earmark.load_audio(c).mono().resample(16000).samples for c in clips])
    import soundfile as sf

    sf.write(tmp_path / "stream.wav", stream, 16000)
    args = [
        "listen",
        str(tmp_path / "stream.wav"),
        "--model",
        str(model),
        "--threshold",
        "0.9",
        "--vad-threshold",
        "0",
        "--jsonl",
    ]
    default = [json.loads(line)["label"] for line in runner.invoke(app, args).stdout.splitlines()]
    everything = [json.loads(line)["label"] for line in runner.invoke(app, [*args, "--ignore", ""]).stdout.splitlines()]
    fillers = {"_unknown_", "_silence_"}
    assert default and not fillers & set(default)  # keywords still fire, fillers do not
    assert fillers & set(everything)  # they were there to be ignored


def test_the_wake_word_task_is_its_default_model():
    path = sorted(shared_path("data", "wakewords", "alexa").glob("*.flac"))[0]
    by_task = runner.invoke(app, ["listen", str(path), "--model", "wake-word", "--jsonl"]).stdout
    by_name = runner.invoke(app, ["listen", str(path), "--model", "wake-word/alexa", "--jsonl"]).stdout
    assert by_task == by_name and by_task


def test_timelines_export_without_overlap(tmp_path):
    scores = (Score("a", 0.9),)
    timeline = Timeline(tuple(Segment(t, t + 1.0, scores if t != 0.5 else (Score("b", 0.8),)) for t in (0.0, 0.5, 1.0)))
    timeline.export(str(tmp_path / "labels.txt"))
    rows = [line.split("\t") for line in (tmp_path / "labels.txt").read_text().splitlines()]
    spans = [(float(a), float(b)) for a, b, _ in rows]
    assert spans == [(0.0, 0.5), (0.5, 1.0), (1.0, 2.0)]


def test_cli_version_did_you_mean_and_not_both():
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"earmark {earmark.__version__}"
    result = runner.invoke(app, ["classify", "x.wav", "--task", "langauge-id"])
    assert result.exit_code == 2 and "did you mean 'language-id'" in result.stderr
    both = runner.invoke(app, ["classify", "x.wav", "--task", "language-id", "--model", "m"])
    assert both.exit_code == 2 and "not both" in both.stderr
