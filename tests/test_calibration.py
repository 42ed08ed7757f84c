"""A calibration file is applied by the Python API and every command (classify, batch, serve, listen,
evaluate), an explicit threshold overrides it, and the output says which thresholds applied."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import earmark
from earmark.calibration import Calibration, ClassThreshold, ScoreMap, Target, thresholds_note
from earmark.cli import app
from earmark.errors import OptionError
from earmark.options import ClassifyOptions
from earmark.scoring import ranker

from synthetic import noise, tone

KEEP = "up"  # the one label whose calibrated threshold lets it through


def only(label, labels, threshold=0.0):
    """A calibration whose thresholds let only ``label`` through (every other label needs 1.01)."""
    classes = tuple(ClassThreshold(x, threshold if x == label else 1.01, 20, 40) for x in labels)
    return Calibration(Target("precision", 0.9), classes, labels=tuple(labels))


def test_rank_applies_per_class_thresholds_and_maps_and_threshold_overrides():
    labels = ("a", "b", "c")
    cal = Calibration(
        Target("precision", 0.9),
        (ClassThreshold("a", 0.9, 20, 40), ClassThreshold("b", 0.2, 20, 40), ClassThreshold("c", None, 1, 40)),
        method="platt",
        maps=(("b", ScoreMap("platt", a=1.0, b=2.0)),),
    )
    vector = np.array([0.5, 0.3, 0.2])
    ranked = ranker(labels, None, ClassifyOptions(top_k=None), cal)(vector)
    b = 1 / (1 + np.exp(-(np.log(0.3 / 0.7) + 2)))  # b mapped: sigmoid(logit(0.3) + 2)
    # a is under its 0.9; b (mapped) passes; c has no calibrated threshold (refused): kept
    assert [(s.label, round(s.score, 6)) for s in ranked] == [("b", round(b, 6)), ("c", 0.2)]
    given = ranker(labels, None, ClassifyOptions(top_k=None, threshold=0.25), cal)(vector)
    assert [s.label for s in given] == ["b", "a"]  # one threshold for all, on the mapped scores
    raw = ranker(labels, None, ClassifyOptions(top_k=None, calibrated=False), cal)(vector)
    assert [s.score for s in raw] == [0.5, 0.3, 0.2]
    assert "overrides" in thresholds_note(cal, 0.25) and "1 of 3" not in cal.describe()


def test_the_python_api_applies_a_folder_calibration_or_a_file(model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(model_dir("ast"), folder)
    plain = earmark.load(folder)
    labels = plain.labels
    clip = earmark.Audio(tone(440, 1.0), 16000)
    assert len(plain(clip).scores) > 1 and plain.calibration is None
    only(KEEP, labels).write(folder)  # calibration.json inside the model folder
    calibrated = earmark.load(folder)
    assert [s.label for s in calibrated(clip)] == [KEEP] and "calibration.json" in calibrated.thresholds_note()
    assert len(calibrated(clip, threshold=0.0).scores) == len(labels)  # an explicit threshold overrides
    assert earmark.load(folder, calibration="none")(clip).scores == plain(clip).scores
    other = only("no", labels).write(tmp_path / "elsewhere.json")
    assert [s.label for s in earmark.load(folder, calibration=other)(clip)] == ["no"]
    wrong = Calibration(Target("precision", 0.9), (ClassThreshold("zebra", 0.5, 20, 40),))
    with pytest.raises(OptionError, match="zebra"):
        earmark.load(folder, calibration=wrong.write(tmp_path / "wrong.json"))
    with pytest.raises(OptionError, match="does not exist"):
        earmark.load(folder, calibration=tmp_path / "missing.json")


@pytest.fixture(scope="module")
def calibrated(model_dir, tmp_path_factory):
    """The tiny AST model with a calibration file that keeps only KEEP, and some audio."""
    root = tmp_path_factory.mktemp("calibrated")
    labels = earmark.load(model_dir("ast")).labels
    file = only(KEEP, labels).write(root / "cal.json")
    (root / "audio").mkdir()
    sf.write(root / "audio" / "a.wav", tone(300, 1.0), 16000)
    sf.write(root / "audio" / "b.wav", noise(1.5), 16000)
    return model_dir("ast"), file, root


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_classify_applies_it_and_threshold_overrides(calibrated):
    model, file, root = calibrated
    code, out, err = run("classify", root / "audio" / "a.wav", "-m", model, "--calibration", file, "--json")
    assert code == 0 and [s["label"] for s in json.loads(out)] == [KEEP]
    assert "thresholds: per-class thresholds from" in err and "cal.json" in err
    code, out, err = run(
        "classify", root / "audio" / "a.wav", "-m", model, "--calibration", file, "--threshold", "0", "--json"
    )
    assert code == 0 and len(json.loads(out)) > 1 and "overrides" in err
    code, _, err = run("classify", root / "audio" / "a.wav", "-m", model, "--calibration", root / "nope.json")
    assert code == 2 and "nope.json" in err


def test_batch_applies_it_and_records_which(calibrated, tmp_path):
    model, file, root = calibrated
    out = tmp_path / "t.jsonl"
    code, _, err = run("batch", root / "audio", "--out", out, "-m", model, "--calibration", file)
    assert code == 0 and "per-class thresholds" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["label"] for r in rows if r.get("label")} == {KEEP}
    code, _, err = run(
        "batch", root / "audio", "--out", tmp_path / "u.jsonl", "-m", model, "--calibration", file, "--threshold", "0"
    )
    rows = [json.loads(line) for line in (tmp_path / "u.jsonl").read_text().splitlines()]
    assert code == 0 and len({r["label"] for r in rows if r.get("label")}) > 1 and "overrides" in err


def test_serve_applies_it_and_says_so_in_a_header(calibrated):
    from earmark.server.app import ServedModel, create_app

    model, file, root = calibrated
    classifier = earmark.load(model, calibration=file)
    with TestClient(create_app([ServedModel("ast", str(model), classifier)])) as client:
        body = (root / "audio" / "a.wav").read_bytes()
        response = client.post("/models/ast", content=body, headers={"Content-Type": "audio/wav"})
        assert [s["label"] for s in response.json()] == [KEEP]
        assert "per-class thresholds" in response.headers["x-earmark-thresholds"]
        response = client.post("/models/ast?threshold=0", content=body, headers={"Content-Type": "audio/wav"})
        assert len(response.json()) > 1 and "overrides" in response.headers["x-earmark-thresholds"]
        described = client.get("/v1/models").json()["models"][0]
        assert described["calibration"]["thresholds"][KEEP] == 0.0


def test_listen_applies_it_and_threshold_overrides(calibrated):
    model, file, root = calibrated
    listen = ["listen", root / "audio" / "b.wav", "-m", model, "--calibration", file, "--jsonl"]
    every_label = ["--vad-threshold", "0", "--ignore", ""]  # no VAD gate, no filler classes
    code, out, err = run(*listen, *every_label)
    labels = {json.loads(line)["label"] for line in out.splitlines()}
    assert code == 0 and labels == {KEEP} and "per-class thresholds" in err
    code, out, err = run(*listen, *every_label, "--threshold", "0")
    assert code == 0 and len({json.loads(line)["label"] for line in out.splitlines()}) > 1 and "overrides" in err


def test_evaluate_applies_it_and_reports_which(calibrated, tmp_path):
    model, file, root = calibrated
    data = tmp_path / "data"
    for label, audio in (("up", tone(300, 1.0)), ("no", noise(1.0))):
        (data / label).mkdir(parents=True)
        sf.write(data / label / "x.wav", audio, 16000)
    code, _, _ = run("evaluate", data, "-m", model, "--calibration", file, "--report", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0 and "per-class thresholds" in report["thresholds"]
    assert report["per_class"]["up"]["recall"] == 1.0 and report["per_class"]["no"]["recall"] == 0.0  # only up passes
