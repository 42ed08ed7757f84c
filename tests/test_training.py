"""Training a head on a frozen encoder: group-aware splits, the saved folder is a normal model."""

import json
import shutil

import pytest
from typer.testing import CliRunner

import earmark
from earmark import OptionError
from earmark.cli import app
from earmark.labelled import load_labelled
from earmark.training import group_of, train_head

from synthetic import shared_path

pytest.importorskip("sklearn")
pytest.importorskip("ai_edge_litert")
pytest.importorskip("wyoming_openwakeword")

SPEAKER = r"^\d+_([a-z]+)_"


@pytest.fixture(scope="module")
def small_fsdd(tmp_path_factory):
    """Digits 0-2, three speakers, 12 takes each: 108 real clips."""
    source = shared_path("data", "fsdd", "recordings")
    folder = tmp_path_factory.mktemp("fsdd")
    for digit in "012":
        for speaker in ("george", "jackson", "lucas"):
            for take in range(12):
                name = f"{digit}_{speaker}_{take}.wav"
                shutil.copy(source / name, folder / name)
    return folder


def test_train_on_two_speakers_test_on_the_third(small_fsdd, tmp_path):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    report = train_head(clips, tmp_path / "m", split_by=SPEAKER, test_groups=["lucas"])
    assert report.test_groups == ("lucas",) and report.test_clips == 36 and report.train_clips == 72
    assert report.accuracy >= 0.8
    assert {"earmark.json", "head.json", "report.json", "README.md"} <= {p.name for p in (tmp_path / "m").iterdir()}
    model = earmark.load(tmp_path / "m")
    prediction = model.classify(small_fsdd / "1_lucas_0.wav")
    assert model.labels == ("0", "1", "2") and prediction.label in model.labels
    assert sum(s.score for s in model.classify(small_fsdd / "1_lucas_0.wav", top_k=None)) == pytest.approx(1.0)


def test_random_group_split_never_shares_a_group(small_fsdd, tmp_path):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    report = train_head(clips, tmp_path / "m", split_by=SPEAKER, test_size=0.3, cache=tmp_path)
    assert len(report.test_groups) == 1 and report.test_clips == 36
    again = train_head(clips, tmp_path / "m2", split_by=SPEAKER, test_size=0.3, cache=tmp_path)
    assert again.accuracy == report.accuracy  # same seed, cached embeddings


def test_bad_training_input(small_fsdd, tmp_path):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    with pytest.raises(OptionError, match="does not match"):
        group_of(clips[0], r"^(x)")
    with pytest.raises(OptionError, match="leave no train or no test"):
        train_head(clips, tmp_path / "m", split_by=SPEAKER, test_groups=["nobody"])
    with pytest.raises(OptionError, match="at least two labels"):
        train_head([c for c in clips if c.label == "0"], tmp_path / "m")


def test_cli_train(small_fsdd, tmp_path):
    args = ["train", str(small_fsdd), "--out", str(tmp_path / "m"), "--label-pattern", r"^(\d+)_"]
    result = CliRunner().invoke(app, [*args, "--split-by", SPEAKER, "--test-group", "george"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "report.json").read_text())["test_groups"] == ["george"]
    classified = CliRunner().invoke(
        app, ["classify", str(small_fsdd / "2_george_1.wav"), "-m", str(tmp_path / "m"), "--json"]
    )
    assert classified.exit_code == 0 and json.loads(classified.stdout)[0]["label"] in {"0", "1", "2"}
