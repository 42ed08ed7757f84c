"""The earmark command line: outputs, directories, timelines and exit code 2 on bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

import earmark
from earmark.cli import app

from synthetic import noise, tone

runner = CliRunner()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    (folder / "sub").mkdir()
    sf.write(folder / "a.wav", tone(300, 0.8), 16000)
    sf.write(folder / "sub" / "b.flac", noise(1.5, rate=8000), 8000)
    sf.write(folder / "long.ogg", np.concatenate([tone(300, 2.0), noise(2.0)]), 16000)
    (folder / "readme.txt").write_text("not audio")
    return folder


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_single_input_json_is_exactly_the_pipeline_list(clips, model_dir):
    code, out, _ = run("classify", clips / "a.wav", "--model", model_dir("ast"), "--json")
    assert code == 0
    expected = earmark.load(model_dir("ast")).classify(clips / "a.wav").to_list()
    assert json.loads(out) == expected


def test_several_inputs_and_directories_give_jsonl_in_order(clips, model_dir):
    code, out, _ = run("classify", clips, "--model", model_dir("ast"))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["source"] for line in lines] == [
        str(clips / "a.wav"),
        str(clips / "long.ogg"),
        str(clips / "sub" / "b.flac"),
    ]
    assert all(len(line["scores"]) == 4 for line in lines) and "timeline" in lines[1]


def test_csv_and_top_k(clips, model_dir):
    code, out, _ = run("classify", clips / "a.wav", "-m", model_dir("ast"), "--csv", "--top-k", "2")
    rows = out.splitlines()
    assert code == 0 and rows[0] == "source,rank,label,score" and len(rows) == 3


def test_table_and_timeline_export(clips, model_dir, tmp_path):
    target = tmp_path / "labels.txt"
    code, out, _ = run("classify", clips / "long.ogg", "-m", model_dir("ast"), "--timeline", target, "--window-s", "1")
    assert code == 0 and "long.ogg" in out
    rows = [line.split("\t") for line in target.read_text().splitlines()]
    assert float(rows[0][0]) == 0.0 and float(rows[-1][1]) == pytest.approx(4.0)


def test_zero_shot_labels(clips, model_dir):
    code, out, _ = run("classify", clips / "a.wav", "-m", model_dir("clap"), "--labels", "a tone,rain", "--json")
    assert code == 0 and sorted(x["label"] for x in json.loads(out)) == ["a tone", "rain"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.wav", "-m", "{ast}"], "missing.wav: no such file"),
        (["{clips}/readme.txt", "-m", "{ast}"], "readme.txt: not"),
        (["{clips}/a.wav", "-m", "./no/model"], "no such directory"),
        (["{clips}/a.wav", "-m", "{clap}"], "has no labels"),
        (["{clips}/a.wav", "-m", "{ast}", "--hop-s", "1"], "hop_s was given without window_s"),
        (["{clips}/a.wav", "-m", "{ast}", "--json", "--csv"], "choose one of"),
        (["{clips}/a.wav", "-m", "{ast}", "--timeline", "x.xml"], "unknown extension"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, clips, model_dir):
    values = {"ast": model_dir("ast"), "clap": model_dir("clap"), "clips": clips}
    code, out, err = run("classify", *[a.format(**values) for a in args])
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_bad_file_among_many_is_reported_and_the_rest_classified(clips, model_dir):
    code, out, err = run(
        "classify", clips / "a.wav", clips / "readme.txt", clips / "sub" / "b.flac", "-m", model_dir("ast")
    )
    assert code == 2
    assert [json.loads(line)["source"] for line in out.splitlines()] == [
        str(clips / "a.wav"),
        str(clips / "sub" / "b.flac"),
    ]
    assert "readme.txt" in err


def test_models_list():
    code, out, _ = run("models", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and {t["name"] for t in listed["tasks"]} >= {"audio-classification", "keyword-spotting"}
    here = {t["name"]: t["availability"] for t in listed["tasks"]}
    assert here["language-id"] == here["wake-word"] == "offline (built in)"
    assert here["audio-classification"] in ("offline (cached)", "needs a download")
    assert "wake-word/hey_jarvis" in listed["wake_words"] and "wake-word/okay_nabu@micro" in listed["wake_words"]


def test_python_dash_m_and_console_script():
    result = subprocess.run([sys.executable, "-m", "earmark", "models", "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "zero-shot-audio-classification" in result.stdout


@pytest.mark.parametrize("command", ["classify", "evaluate", "compare", "listen", "batch", "serve"])
def test_every_command_that_loads_a_model_has_the_model_options(command):
    import typer.main

    from earmark.cli.options import Metric
    from earmark.evaluation.compare import METRICS

    params = {p.name for p in typer.main.get_command(app).commands[command].params}
    everywhere = {"model", "engine", "compute_type", "device", "threads"}
    loads_by_ref = (
        {"task", "labels", "template"} if command != "serve" else set()
    )  # serve: NAME=REF, labels per request
    batched = {"batch_size"} if command not in ("listen", "serve") else set()  # streams score one window at a time
    assert everywhere | loads_by_ref - ({"task"} if command == "compare" else set()) | batched <= params
    assert tuple(m.value for m in Metric) == METRICS


def test_classify_without_a_model_names_the_offline_choices():
    code, _, err = run("classify", "x.wav")
    assert code == 2 and "--task language-id" in err and "offline here" in err


def _run_with_stderr(args: list[str], *, terminal: bool, env: dict | None = None) -> tuple[str, str]:
    """Run the CLI in a real process; stderr on a pseudo-terminal (or a pipe), stdout always a pipe."""
    import os
    import pty

    if not terminal:
        done = subprocess.run([sys.executable, "-m", "earmark", *args], capture_output=True, text=True, env=env)
        return done.stdout, done.stderr
    controller, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "earmark", *args], stdout=subprocess.PIPE, stderr=follower, text=True, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read()
    process.wait()
    os.close(controller)
    return stdout, b"".join(chunks).decode(errors="replace")


def test_progress_goes_to_stderr_and_never_into_the_jsonl(clips, model_dir):
    """On a terminal the bar is drawn on stderr and cleared; stdout holds only JSON lines. Piped, stderr
    gets plain progress lines (every 10 s; here EARMARK_PROGRESS_EVERY_S=0 shows one per file)."""
    import os

    args = ["classify", str(clips), "-m", str(model_dir("ast")), "--jsonl"]
    stdout, stderr = _run_with_stderr(args, terminal=True)
    lines = stdout.splitlines()
    assert len(lines) == 3 and all(json.loads(line)["scores"] for line in lines)
    assert "classifying" in stderr  # the bar was on the terminal...
    assert "\x1b[" in stderr  # ...drawn with control sequences, which clear it at the end
    stdout, stderr = _run_with_stderr(args, terminal=False, env=os.environ | {"EARMARK_PROGRESS_EVERY_S": "0"})
    assert all(json.loads(line) for line in stdout.splitlines()) and "\x1b[" not in stderr
    assert "earmark: classifying: 3/3" in stderr


def test_progress_restarts_when_a_count_starts_again():
    """train --encoder auto encodes the clips once per candidate: each pass restarts the count."""
    from earmark.cli.output import Progress

    bar = Progress(10, enabled=False)
    for done in (1, 5, 10, 1, 3):
        bar.update(done)
    assert (bar.done, bar.total) == (3, 10)
    bar.advance()
    assert bar.done == 4


def test_train_and_evaluate_with_the_encoder_on_onnx(model_dir, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "data"
    for label, make in (("tone", lambda i: tone(200 + 60 * i)), ("hiss", lambda i: noise(seed=i))):
        (data / label).mkdir(parents=True)
        for i in range(8):
            sf.write(data / label / f"{label}{i}.wav", make(i), 16000)
    encoder = str(model_dir("ast"))
    code, out, err = run(
        "train", data, "--out", tmp_path / "m", "--encoder", encoder, "--head", "attention", "--engine", "onnx"
    )
    assert code == 0, err
    assert json.loads((tmp_path / "m" / "training.json").read_text())["encoder_engine"] == "onnx"
    code, out, err = run("evaluate", data, "--model", tmp_path / "m", "--engine", "onnx", "--compute-type", "int8")
    assert code == 0, err
    assert "accuracy" in out.lower()
    code, _, err = run("train", data, "--out", tmp_path / "n", "--encoder", "whisper-base", "--engine", "onnx")
    assert code == 2 and "built in" in err


def test_models_engines_lists_each_contract():
    import json

    from typer.testing import CliRunner

    from earmark.cli import app

    result = CliRunner().invoke(app, ["models", "engines", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["engine"]: r for r in json.loads(result.stdout)["engines"]}
    assert rows["onnx"]["compute_types"] == ["float32", "int8"] and rows["head on onnx"]["ask"] == "onnx"
    assert rows["transformers"]["devices"] == ["cpu", "cuda", "mps"] and "week" in rows["birdnet"]["engine_options"]
