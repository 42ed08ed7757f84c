"""Resume journals: bound to the model and settings, a cut-off last line redone, a damaged line named,
and an evaluation killed with SIGKILL resumes to the same report."""

import json
import subprocess
import sys

import pytest
import soundfile as sf

import earmark
from earmark import OptionError
from earmark.evaluation import evaluate
from earmark.io.labelled import load_labelled
from earmark.journal import Journal

from processes import kill_when_grown
from synthetic import noise


def test_rows_come_back_and_other_settings_are_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    with Journal(path, {"model": "a", "top_k": 5}) as journal:
        journal.append({"key": "x", "top": ["yes"]})
    assert Journal(path, {"model": "a", "top_k": 5}).read() == {"x": {"key": "x", "top": ["yes"]}}
    with pytest.raises(OptionError, match=r"other settings \(changed: model\)"):
        Journal(path, {"model": "b", "top_k": 5}).read()


def test_a_cut_off_last_line_is_dropped_and_redone(tmp_path):
    path = tmp_path / "run.jsonl"
    with Journal(path, {"m": 1}) as journal:
        journal.append({"key": "a"})
        journal.append({"key": "b"})
    path.write_bytes(path.read_bytes() + b'{"key": "c", "top": ["y')  # killed mid-write
    assert set(Journal(path, {"m": 1}).read()) == {"a", "b"}
    assert path.read_bytes().endswith(b'"b"}\n')  # the file itself was repaired (atomically)


def test_a_damaged_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "run.jsonl"
    with Journal(path, {"m": 1}) as journal:
        journal.append({"key": "a"})
    path.write_text(path.read_text() + "not json\n" + json.dumps({"key": "b"}) + "\n")
    with pytest.raises(OptionError, match=r"run.jsonl: line 3 is not valid JSON"):
        Journal(path, {"m": 1}).read()


def test_an_old_headerless_file_is_not_mixed_in(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"key": "a", "top": ["yes"]}) + "\n")
    with pytest.raises(OptionError, match="not an earmark resume journal"):
        Journal(path, {"m": 1}).read()


@pytest.fixture
def folder(tmp_path):
    for label in ("yes", "no"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(30):
            sf.write(tmp_path / "data" / label / f"{i}.wav", noise(0.5, seed=i + 100 * len(label)), 16000)
    return tmp_path / "data"


def test_evaluate_resume_refuses_another_model(folder, model_dir, tmp_path):
    clips = load_labelled(folder)[:4]
    cache = tmp_path / "run.jsonl"
    evaluate(earmark.load(model_dir("ast")), clips, cache=cache)
    with pytest.raises(OptionError, match="other settings"):
        evaluate(earmark.load(model_dir("wav2vec2")), clips, cache=cache)


def test_evaluate_killed_with_sigkill_resumes_to_the_same_report(folder, model_dir, tmp_path):
    """A real process is killed at several points while it writes; each rerun picks up where it was."""
    cache, report = tmp_path / "run.jsonl", tmp_path / "report.json"
    command = [sys.executable, "-m", "earmark", "evaluate", str(folder), "--model", str(model_dir("ast"))]
    fresh = tmp_path / "fresh.json"
    subprocess.run([*command, "--report", str(fresh)], check=True, capture_output=True, timeout=300)
    rerun = [*command, "--resume", str(cache), "--report", str(report)]
    kills = sum(kill_when_grown(rerun, cache, 8) for _ in range(3))  # killed at three points
    subprocess.run([*command, "--resume", str(cache), "--report", str(report)], check=True, timeout=300)
    assert kills == 3
    keys = [json.loads(line)["key"] for line in cache.read_text().splitlines()[1:]]
    assert len(keys) == len(set(keys)) == 60  # nothing lost, nothing twice
    keep = ("accuracy", "macro_f1", "top5_accuracy", "per_class", "confusion", "clips", "failed_clips")
    ours, theirs = json.loads(report.read_text()), json.loads(fresh.read_text())
    assert {k: ours[k] for k in keep} == {k: theirs[k] for k in keep}
