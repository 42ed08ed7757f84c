"""Thresholds to a target on scores with a known answer, refusals, bootstrap intervals, score maps
and ECE, and earmark calibrate on a real keyword-spotting model."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from earmark.calibration import Calibration, Target
from earmark.cli import app
from earmark.errors import OptionError
from earmark.evaluation.calibrate import ScoreTable, calibrate, ece, pick_threshold

from synthetic import shared_path

pytest.importorskip("sklearn")


def test_thresholds_have_a_known_answer():
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    positive = np.array([True, True, False, True, True, False, False])
    # precision at >= 0.9: 1.0; >= 0.8: 2/3; >= 0.7: 3/4; >= 0.6: 4/5; >= 0.5: 4/6
    assert pick_threshold(scores, positive, Target("precision", 0.8)) == 0.6  # lowest reaching it: most recall
    assert pick_threshold(scores, positive, Target("precision", 0.99)) == 0.9
    assert pick_threshold(scores, positive, Target("recall", 0.5)) == 0.9  # highest reaching it
    assert pick_threshold(scores, positive, Target("recall", 0.75)) == 0.7
    assert pick_threshold(np.array([0.5, 0.5, 0.4]), np.array([True, False, True]), Target("precision", 0.9)) is None


def test_a_confident_threshold_needs_enough_clips_to_support_it():
    """Clopper-Pearson: 29 of 29 right is the fewest that shows precision >= 0.9 with 95 % confidence."""
    for n, expected in ((28, None), (29, 0.5)):
        scores = np.r_[np.full(n, 0.9), np.full(5, 0.5)[:0], np.full(10, 0.1)]
        positive = np.r_[np.ones(n, bool), np.zeros(10, bool)]
        found = pick_threshold(scores, positive, Target("precision", 0.9), confidence=0.95)
        assert (found is None) if expected is None else found == 0.9
    assert pick_threshold(scores, positive, Target("precision", 0.9)) == 0.9  # no confidence: the clips' value


def test_targets_are_parsed_and_checked():
    assert (
        Target.parse("precision=0.95") == Target("precision", 0.95)
        and str(Target.parse("fa-per-hour=0.5")) == "fa-per-hour=0.5"
    )
    for bad in ("precision", "precision=1.5", "accuracy=0.9", "fa-per-hour=-1", "recall=x"):
        with pytest.raises(OptionError):
            Target.parse(bad)


def _table(n=600, seed=0, sharp=4.0):
    """Two classes and clips of neither; class scores drawn so that precision rises with the score."""
    rng = np.random.default_rng(seed)
    truth = tuple(rng.choice(["a", "b", None], n))
    scores = np.zeros((n, 2))
    for i, t in enumerate(truth):
        for j, label in enumerate("ab"):
            scores[i, j] = rng.beta(sharp, 2) if t == label else rng.beta(2, sharp)
    return ScoreTable(("a", "b"), scores, truth)


def test_a_class_with_two_examples_is_refused_its_threshold():
    table = _table()
    truth = list(table.truth)
    few = [i for i, t in enumerate(truth) if t == "b"][2:]
    for i in few:
        truth[i] = None  # only two clips of b are left
    result = calibrate(ScoreTable(table.labels, table.scores, tuple(truth)), Target("precision", 0.9))
    b = next(c for c in result.classes if c.label == "b")
    assert b.threshold is None and b.positives == 2 and "too few examples" in b.reason
    assert "b" not in result.thresholds and "a" in result.thresholds


def test_an_unreachable_target_is_refused_not_invented():
    table = _table(sharp=2.0)  # the classes' scores have the same distribution: no threshold reaches 0.99
    flat = ScoreTable(table.labels, np.random.default_rng(1).random(table.scores.shape), table.truth)
    result = calibrate(flat, Target("precision", 0.99), confidence=0.0)
    assert result.thresholds == {} and all("not reached" in c.reason for c in result.classes)


def test_thresholds_hold_out_of_sample_within_their_interval():
    fit, held = _table(seed=0), _table(seed=1)
    result = calibrate(fit, Target("precision", 0.9), confidence=0.0)
    for c in result.classes:
        low, high = c.interval
        assert low <= c.precision <= high and c.precision >= 0.9
        s = held.scores[:, held.labels.index(c.label)] >= c.threshold
        out_of_sample = (s & held.positives(c.label)).sum() / s.sum()
        assert out_of_sample >= low - 0.02  # the same distribution: it lands within the interval


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_score_maps_lower_the_calibration_error(method):
    table = _table(seed=2)
    squashed = ScoreTable(table.labels, table.scores**3, table.truth)  # overconfident-low: badly calibrated
    result = calibrate(squashed, Target("precision", 0.9), method=method, confidence=0.0)
    assert result.ece_after < result.ece_before / 2
    mapped = result.apply(squashed.scores, squashed.labels)
    assert ece(mapped, squashed.truth, squashed.labels, ["a", "b"]) <= result.ece_after + 1e-9  # in-sample is kinder
    again = Calibration.read(result.write(str(__import__("tempfile").mkdtemp()) + "/c.json"))
    assert np.allclose(again.apply(squashed.scores, squashed.labels), mapped)


def test_calibrate_a_real_keyword_model(tmp_path):
    model = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    data = shared_path("data", "speech_commands")
    out = tmp_path / "kws.json"
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            str(data),
            "--model",
            str(model),
            "--target",
            "precision=0.9",
            "--min-examples",
            "11",
            "--out",
            str(out),
            "--plot",
            str(tmp_path / "p"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["target"] == "precision=0.9" and written["thresholds"] == {}  # 10 clips per word < 11
    assert all("too few examples: 10" in c["reason"] for c in written["classes"].values())
    # 10 clips a word cannot show precision >= 0.9 with 95 % confidence (10 of 10 right: lower bound 0.74)
    base = ["calibrate", str(data), "--model", str(model), "--target", "precision=0.9", "--out", str(out), "--json"]
    written = json.loads(CliRunner().invoke(app, base).stdout)
    assert written["thresholds"] == {} and "with 95% confidence" in written["classes"]["yes"]["reason"]
    written = json.loads(CliRunner().invoke(app, [*base, "--confidence", "0"]).stdout)
    assert set(written["thresholds"]) >= {"yes", "no", "stop"}
    for c in written["classes"].values():
        if c["threshold"] is not None:
            assert c["precision"] >= 0.9 and c["interval"][0] <= c["precision"] <= c["interval"][1]
    assert (tmp_path / "p" / "pr.png").is_file() and (tmp_path / "p" / "reliability.png").is_file()


def test_calibrate_refuses_bad_requests_with_exit_2(tmp_path):
    for args in (
        ["--target", "precision=2"],
        ["--target", "fa-per-hour=0.5"],  # no --negatives
        ["--target", "precision=0.9", "--out", str(tmp_path / "missing-folder")],
        ["--target", "fa-per-hour=0.5", "--negatives", str(tmp_path), "--method", "platt"],
    ):
        out = [] if "--out" in args else ["--out", str(tmp_path / "c.json")]
        result = CliRunner().invoke(app, ["calibrate", str(tmp_path), "--model", "wake-word/alexa", *args, *out])
        assert result.exit_code == 2, (args, result.output)
        assert not (tmp_path / "c.json").exists()


def test_compare_at_an_operating_point(model_dir, tmp_path):
    """compare --at precision=0.9: each model's recall there, the real model first, the random one after."""
    model = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    data = shared_path("data", "speech_commands")
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(data),
            "-m",
            str(model_dir("ast")),
            "-m",
            str(model),
            "--at",
            "precision=0.9",
            "--report",
            str(tmp_path / "all.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "all.json").read_text())
    assert rows[0]["model"] == str(model) and rows[0]["at"]["target"] == "precision=0.9"
    assert rows[0]["at"]["recall"] >= 0.8 and rows[0]["at"]["classes"] >= 8
    assert rows[1]["at"]["recall"] is None or rows[1]["at"]["recall"] < rows[0]["at"]["recall"]
