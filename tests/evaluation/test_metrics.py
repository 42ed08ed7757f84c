"""Evaluation: metrics on a hand-computed case, label matching, resume, plots, a real TFLite KWS model."""

import json
import struct
from types import SimpleNamespace

import pytest
import soundfile as sf

import earmark
from earmark.evaluation import evaluate, match_labels, normalize_label, plot_confusion
from earmark.evaluation.metrics import _report
from earmark.io.labelled import LabelledClip, load_labelled

from synthetic import noise, shared_path

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


def test_metrics_match_a_hand_computed_case():
    clips = [LabelledClip(f"{i}.wav", label) for i, label in enumerate("aabb")]
    done = {f"{i}.wav": {"top": top, "seconds": 0.5} for i, top in enumerate([["a"], ["b", "a"], ["b"], ["b"]])}
    report = _report(
        SimpleNamespace(labels=("a", "b"), name="m", label_codes=None, engine="transformers", compute_type="float32"),
        clips,
        done,
        "d",
        None,
    )
    assert report.accuracy == 0.75 and report.top5_accuracy == 1.0
    assert report.per_class["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert report.per_class["b"]["precision"] == pytest.approx(2 / 3) and report.per_class["b"]["recall"] == 1.0
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert report.confusion == [[1, 1, 0], [0, 2, 0], [0, 0, 0]] and report.labels == ("a", "b", "(other)")
    assert report.seconds_per_clip == 0.5 and report.clips_per_s == 2.0


def test_label_matching_and_unmatched_labels():
    assert normalize_label("001 - Dog bark") == normalize_label("dog_bark") == normalize_label("Dog-Bark") == "dog bark"
    mapping = match_labels(["Dog_Bark", "rain", "_silence_"], ["001 - Dog bark", "002 - Rain", "003 - Sea waves"])
    assert mapping == {"Dog_Bark": "001 - Dog bark", "rain": "002 - Rain"}
    assert match_labels(["hound"], ["dog"], {"hound": "dog"}) == {"hound": "dog"}
    clips = [LabelledClip("x.wav", "003 - Sea waves")]
    report = _report(
        SimpleNamespace(labels=("rain",), name="m", label_codes=None, engine="transformers", compute_type="float32"),
        clips,
        {"x.wav": {"top": ["rain"], "seconds": 1}},
        "",
        None,
    )
    assert report.unmatched_dataset_labels == ("003 - Sea waves",) and report.accuracy == 0.0


@pytest.fixture
def folder(tmp_path):
    for label in ("yes", "no"):
        (tmp_path / label).mkdir()
        for i in range(3):
            sf.write(tmp_path / label / f"{i}.wav", noise(0.5, seed=i + 10 * len(label)), 16000)
    return tmp_path


def test_resume_gives_the_same_report(folder, loaded, tmp_path, monkeypatch):
    clf = loaded("ast")
    clips = load_labelled(folder)
    fresh = evaluate(clf, clips)
    cache = tmp_path / "run.jsonl"
    evaluate(clf, clips[:4], cache=cache)  # an interrupted run
    calls = []
    original = clf.forward
    monkeypatch.setattr(clf, "forward", lambda c: calls.append(len(c)) or original(c))
    resumed = evaluate(clf, clips, cache=cache)
    assert sum(calls) == 2  # only the clips the first run had not finished
    keep = ("accuracy", "macro_f1", "top5_accuracy", "per_class", "confusion", "labels")
    assert {k: getattr(resumed, k) for k in keep} == {k: getattr(fresh, k) for k in keep}
    assert len(cache.read_text().splitlines()) == 1 + 6  # the journal header, then one line per clip


def test_plot_is_a_png_of_the_expected_size(folder, loaded, tmp_path):
    report = evaluate(loaded("ast"), load_labelled(folder))
    plot_confusion(report, tmp_path / "cm.png")
    header = (tmp_path / "cm.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (600, 600)


def test_mlcommons_kws_on_speech_commands_cli(tmp_path):
    model = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    pytest.importorskip("ai_edge_litert")
    from typer.testing import CliRunner

    from earmark.cli import app

    data = shared_path("data", "speech_commands")
    args = ["evaluate", str(data), "-m", str(model), "--only-model-labels", "--report", str(tmp_path / "r.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["clips"] == 100 and report["accuracy"] >= 0.9
    assert isinstance(earmark.load(str(model)), earmark.Classifier)


def test_unknown_tflite_model_is_a_clear_error(tmp_path):
    with pytest.raises(earmark.ModelError, match="no such file"):
        earmark.load(str(tmp_path / "missing.tflite"))


def test_compare_ranks_models_and_uses_dataset_labels_for_zero_shot(folder, model_dir, tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    args = ["compare", str(folder), "-m", str(model_dir("ast")), "-m", str(model_dir("clap")), "--report"]
    result = CliRunner().invoke(app, [*args, str(tmp_path / "c.json"), "--sort", "macro_f1"])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "c.json").read_text())
    assert [r["macro_f1"] for r in rows] == sorted((r["macro_f1"] for r in rows), reverse=True)
    clap = next(r for r in rows if r["model"] == str(model_dir("clap")))
    assert clap["unmatched_dataset_labels"] == [] and clap["size_bytes"] > 0 and clap["clips"] == 6
    bad = CliRunner().invoke(app, ["compare", str(folder), "-m", str(model_dir("ast")), "--sort", "speed"])
    assert bad.exit_code == 2 and "--sort" in bad.stderr


@pytest.mark.parametrize("streaming", [False, True])
def test_hugging_face_dataset_gives_the_same_numbers_as_the_folder(folder, loaded, streaming):
    pytest.importorskip("datasets")
    local = evaluate(loaded("ast"), load_labelled(folder))
    rows = load_labelled(f"hf:audiofolder:{folder}", hf={"streaming": streaming})
    assert sorted(c.label for c in rows) == sorted(c.label for c in load_labelled(folder))
    remote = evaluate(loaded("ast"), rows)
    assert (remote.accuracy, remote.confusion, remote.per_class) == (local.accuracy, local.confusion, local.per_class)


def test_hub_dataset_offline_is_a_clear_error():
    pytest.importorskip("datasets")
    with pytest.raises(earmark.ModelError, match="could not be loaded|cannot be reached"):
        load_labelled("hf:nobody/no-such-dataset", hf={"streaming": True})


def test_label_codes_match_dataset_labels():
    model = SimpleNamespace(
        labels=("German", "English"), label_codes=("de", "en"), name="lid", engine="ct2", compute_type="float32"
    )
    clips = [LabelledClip("a.wav", "de"), LabelledClip("b.wav", "en")]
    done = {"a.wav": {"top": ["German"], "seconds": 1}, "b.wav": {"top": ["German", "English"], "seconds": 1}}
    report = _report(model, clips, done, "", None)
    assert report.accuracy == 0.5 and report.top5_accuracy == 1.0 and report.unmatched_dataset_labels == ()


def test_evaluate_takes_a_zero_shot_model_and_the_model_options(folder, model_dir, tmp_path):
    """No --labels: CLAP is bound to the dataset's own labels, as compare does; --task/--batch-size/--device work."""
    from typer.testing import CliRunner

    from earmark.cli import app

    report = tmp_path / "r.json"
    args = ["evaluate", str(folder), "-m", str(model_dir("clap")), "--batch-size", "2", "--device", "cpu"]
    result = CliRunner().invoke(app, [*args, "--template", "A sound of {}.", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["clips"] == 6
    both = CliRunner().invoke(app, ["evaluate", str(folder), "-m", "x", "--task", "language-id"])
    assert both.exit_code == 2 and "not both" in both.stderr


def test_compare_label_map_plots_and_resume(folder, model_dir, tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({label: "yes" for label in ("yes", "no", "up", "down")}))  # all say "yes"
    base = ["compare", str(folder), "-m", str(model_dir("ast")), "-m", str(model_dir("ast")) + "@transformers"]
    plain = CliRunner().invoke(app, [*base, "--report", str(tmp_path / "a.json")])
    swapped = CliRunner().invoke(
        app,
        [
            *base,
            "--label-map",
            str(label_map),
            "--report",
            str(tmp_path / "b.json"),
            "--plot",
            str(tmp_path / "cm.png"),
            "--resume",
            str(tmp_path / "journals"),
        ],
    )
    assert plain.exit_code == 0 and swapped.exit_code == 0, swapped.output
    after = json.loads((tmp_path / "b.json").read_text())
    assert [row["accuracy"] for row in after] == [0.5, 0.5]  # every answer is "yes": right on half the clips
    assert (tmp_path / "cm-1.png").stat().st_size > 1000 and (tmp_path / "cm-2.png").exists()
    journals = sorted((tmp_path / "journals").iterdir())
    assert len(journals) == 2 and all(len(j.read_text().splitlines()) == 7 for j in journals)  # header + 6 clips
    again = CliRunner().invoke(app, [*base, "--label-map", str(label_map), "--resume", str(tmp_path / "journals")])
    assert again.exit_code == 0 and all(len(j.read_text().splitlines()) == 7 for j in journals)
