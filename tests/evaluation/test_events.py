"""Event- and segment-based metrics (sed_eval's numbers on a worked example), annotation formats, and
evaluate RECORDINGS --annotations on a scene built from real clips at known times."""

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from earmark.cli import app
from earmark.errors import OptionError
from earmark.evaluation.events import WindowScores, event_metrics, events_from_scores, segment_metrics
from earmark.io.annotations import Annotation, read_annotations

from synthetic import shared_path

A = Annotation
REFERENCE = {
    "a": [A("a", "dog", 1, 2), A("a", "dog", 5, 7), A("a", "bird", 3, 3.5)],
    "b": [A("b", "bird", 0.5, 1.5)],
}
DETECTED = {
    "a": [A("a", "dog", 1.1, 2.1), A("a", "dog", 5.3, 7), A("a", "bird", 3, 4), A("a", "bird", 8, 8.5)],
    "b": [A("b", "bird", 0.4, 1.6), A("b", "dog", 0.4, 1.6)],
}


def test_event_based_metrics_equal_sed_evals_on_a_worked_example():
    # sed_eval 0.2.1 (EventBasedMetrics, t_collar=0.2, percentage_of_length=0.5) on the same events:
    # overall P 1/3, R 0.5, F 0.4; class-wise F bird 0.4, dog 0.4. By hand: dog 1.1-2.1 matches 1-2;
    # dog 5.3 starts 0.3 s late; bird 3-4 ends 0.5 s late (collar max(0.2, 0.25)); b's bird matches.
    m = event_metrics(REFERENCE, DETECTED, ["bird", "dog"])
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((1 / 3, 0.5, 0.4))
    assert m["counts"] == {"tp": 2, "fp": 4, "fn": 2}
    assert m["per_class"]["bird"]["f1"] == pytest.approx(0.4) and m["per_class"]["dog"]["f1"] == pytest.approx(0.4)
    assert m["class_wise_f1"] == pytest.approx(0.4)


def test_segment_based_metrics_equal_sed_evals_on_the_same_example():
    # sed_eval SegmentBasedMetrics(time_resolution=1.0): F 0.75, P 0.6, R 1.0, ER 2/3 (insertions
    # only); class-wise F bird 6/7, dog 2/3
    m = segment_metrics(REFERENCE, DETECTED, ["bird", "dog"], {"a": 10.0, "b": 2.0})
    assert (m["precision"], m["recall"], m["f1"], m["error_rate"]) == pytest.approx((0.6, 1.0, 0.75, 2 / 3))
    assert m["insertions"] == 4 and m["deletions"] == m["substitutions"] == 0
    assert m["per_class"]["bird"]["f1"] == pytest.approx(6 / 7) and m["per_class"]["dog"]["f1"] == pytest.approx(2 / 3)


def test_overlap_matching_for_detectors():
    m = event_metrics(
        {"a": [A("a", "w", 5, 6)]}, {"a": [A("a", "w", 5.8, 7.5), A("a", "w", 20, 21)]}, ["w"], overlap=True
    )
    assert m["counts"] == {"tp": 1, "fp": 1, "fn": 0} and m["matching"] == "overlap"


def test_events_from_window_scores_join_touching_windows():
    w = WindowScores(
        "r",
        ("x", "y"),
        np.array([0.0, 1, 2, 3, 4]),
        np.array([1.0, 2, 3, 4, 5]),
        np.array([[0.9, 0], [0.8, 0], [0.1, 0], [0.7, 0.6], [0.2, 0.6]]),
        5.0,
    )
    events = events_from_scores(w, {"x": 0.5, "y": 0.5})
    assert [(e.label, e.start_s, e.end_s) for e in events] == [("x", 0, 2), ("x", 3, 4), ("y", 3, 5)]


def test_annotations_read_from_raven_audacity_and_csv_alike(tmp_path):
    rec = str(tmp_path / "site1.wav")
    (tmp_path / "raven").mkdir()
    (tmp_path / "raven" / "site1.Table.1.selections.txt").write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tSpecies\n"
        "1\tSpectrogram 1\t1\t1.5\t2.5\tdog\n1\tWaveform 1\t1\t1.5\t2.5\tdog\n2\tSpectrogram 1\t1\t4\t5\tbird\n"
    )
    (tmp_path / "site1.txt").write_text("1.5\t2.5\tdog\n\\\t100\t2000\n4.0\t5.0\tbird\n")
    (tmp_path / "ann.csv").write_text(f"path,start_s,end_s,label\n{rec},1.5,2.5,dog\n{rec},4,5,bird\n")
    expected = [A(rec, "dog", 1.5, 2.5), A(rec, "bird", 4.0, 5.0)]
    for given in (tmp_path / "raven", tmp_path / "site1.txt", tmp_path / "ann.csv"):
        assert read_annotations([given], [rec]) == {rec: expected}
    (tmp_path / "bad.csv").write_text(f"path,start_s,end_s,label\n{rec},5,4,dog\n")
    with pytest.raises(OptionError, match="bad.csv:2"):
        read_annotations([tmp_path / "bad.csv"], [rec])
    (tmp_path / "other.csv").write_text("path,start_s,end_s,label\nelsewhere.wav,1,2,dog\n")
    with pytest.raises(OptionError, match="elsewhere.wav"):
        read_annotations([tmp_path / "other.csv"], [rec])


@pytest.fixture(scope="module")
def alexa_scene(tmp_path_factory):
    """Six alexa recordings and six other words at known times, with 1.5 s of silence between."""
    from earmark import load_audio

    alexa, computer = shared_path("data", "wakewords", "alexa"), shared_path("data", "wakewords", "computer")
    folder = tmp_path_factory.mktemp("scene")
    parts, rows, t = [], ["path,start_s,end_s,label"], 0.0
    for a, c in zip(sorted(alexa.glob("*.flac"))[:6], sorted(computer.glob("*.wav"))[:6]):
        for path, label in ((a, "alexa"), (c, None)):
            parts.append(np.zeros(24000, np.float32))
            t += 1.5
            x = load_audio(path).mono().resample(16000).samples
            parts.append(x)
            if label:
                rows.append(f"{folder / 'scene.wav'},{t:.3f},{t + len(x) / 16000:.3f},{label}")
            t += len(x) / 16000
    sf.write(folder / "scene.wav", np.concatenate(parts), 16000)
    (folder / "ann.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_evaluate_a_detector_on_an_annotated_scene(alexa_scene, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(alexa_scene / "scene.wav"),
            "--annotations",
            str(alexa_scene / "ann.csv"),
            "--model",
            "wake-word/alexa",
            "--report",
            str(tmp_path / "r.json"),
            "--plot",
            str(tmp_path / "plots"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    events = report["events"]
    assert report["detector"] is True and events["thresholds"] == {"alexa": 0.5}
    assert events["per_class"]["alexa"]["tp"] == 6 and events["counts"]["fp"] == 0  # every alexa, no other word
    det = events["det"]["alexa"]
    assert det["miss_rate"][0] == 0 and det["miss_rate"][-1] >= det["miss_rate"][0]  # misses grow with the threshold
    assert (tmp_path / "plots" / "det.png").stat().st_size > 5000


def test_evaluate_a_classifier_on_a_scene_of_real_words(tmp_path):
    """Twelve Speech Commands words at known times: the keyword model's windows find them (segments)."""
    from earmark import load_audio

    model = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    words = shared_path("data", "speech_commands")
    parts, rows, t = [], ["path,start_s,end_s,label"], 0.0
    for word in ("yes", "no", "stop", "go", "left", "right"):
        for path in sorted((words / word).glob("*.wav"))[:2]:
            x = load_audio(path).mono().resample(16000).samples
            parts += [np.zeros(32000, np.float32), x]
            rows.append(f"{tmp_path / 'scene.wav'},{t + 2:.3f},{t + 2 + len(x) / 16000:.3f},{word}")
            t += 2 + len(x) / 16000
    sf.write(tmp_path / "scene.wav", np.concatenate(parts), 16000)
    (tmp_path / "scene.csv").write_text("\n".join(rows) + "\n")
    args = [
        "evaluate",
        str(tmp_path / "scene.wav"),
        "--annotations",
        str(tmp_path / "scene.csv"),
        "--model",
        str(model),
        "--window-s",
        "1",
        "--hop-s",
        "0.25",
        "--report",
        str(tmp_path / "r.json"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    events = report["events"]
    assert report["detector"] is False and set(events["per_class"]) == {"yes", "no", "stop", "go", "left", "right"}
    assert events["segments"]["recall"] >= 0.8 and events["segments"]["segment_s"] == 1.0
    assert {"precision", "recall", "f1", "class_wise_f1", "pr_curves", "thresholds"} <= set(events)
    detected = {e["label"] for rows in events["detected"].values() for e in rows}
    assert {"yes", "no", "stop"} <= detected
