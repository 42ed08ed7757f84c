"""Heads on frozen encoders: group-aware splits, each head kind, keyword detectors; the saved folder
is a normal model with a card and a training config."""

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import earmark
from earmark import OptionError
from earmark.cli import app
from earmark.io.labelled import LabelledClip, load_labelled
from earmark.training import group_of, split_clips, train_head, train_keyword

from synthetic import noise, shared_path, tone

pytest.importorskip("sklearn")
pytest.importorskip("ai_edge_litert")
pytest.importorskip("wyoming_openwakeword")

SPEAKER = r"^\d+_([a-z]+)_"


@pytest.fixture(scope="module")
def small_fsdd(tmp_path_factory):
    """Digits 0-2, four speakers, 12 takes each: 144 real clips, with the data's licence line."""
    source = shared_path("data", "fsdd")
    folder = tmp_path_factory.mktemp("fsdd")
    shutil.copy(source / "README.md", folder / "README.md")
    for digit in "012":
        for speaker in ("george", "jackson", "lucas", "yweweler"):
            for take in range(12):
                name = f"{digit}_{speaker}_{take}.wav"
                shutil.copy(source / "recordings" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Encoder frames shared by the tests of this module (a rerun of train_head reuses them)."""
    return tmp_path_factory.mktemp("frames")


def test_train_on_three_speakers_test_on_the_fourth(small_fsdd, cache, tmp_path):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    report = train_head(
        clips, tmp_path / "m", split_by=SPEAKER, test_groups=["lucas"], cache=cache, data=str(small_fsdd)
    )
    assert report.test_groups == ("lucas",) and report.test_clips == 36 and report.train_clips == 108
    assert report.accuracy >= 0.8
    saved = {p.name for p in (tmp_path / "m").iterdir()}
    assert {"earmark.json", "head.json", "report.json", "evaluation.json", "training.json", "README.md"} <= saved
    model = earmark.load(tmp_path / "m")
    assert model.labels == ("0", "1", "2")
    assert sum(s.score for s in model.classify(small_fsdd / "1_lucas_0.wav", top_k=None)) == pytest.approx(1.0)
    card = (tmp_path / "m" / "README.md").read_text()
    assert "CC BY-SA 4.0" in card and "held out: lucas" in card
    training = json.loads((tmp_path / "m" / "training.json").read_text())
    assert training["split_by"] == SPEAKER and training["seed"] == 0 and training["test_groups"] == ["lucas"]


@pytest.mark.parametrize("head", ["mlp", "attention"])
def test_torch_heads_stop_early_on_a_validation_speaker(small_fsdd, cache, tmp_path, head):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    report = train_head(clips, tmp_path / "m", head=head, split_by=SPEAKER, test_groups=["lucas"], cache=cache)
    assert report.validation_clips == 36 and report.train_clips == 72  # one of the three training speakers
    assert report.accuracy >= 0.8 and 1 <= report.details["epochs"] <= 300
    model = earmark.load(tmp_path / "m")
    again = model.classify(small_fsdd / "2_lucas_3.wav", top_k=None)
    assert [s.label for s in again.scores] and sum(s.score for s in again.scores) == pytest.approx(1.0)


def test_split_never_shares_a_group_and_is_seeded(small_fsdd):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    split = split_clips(clips, split_by=SPEAKER, test_size=0.25, validation_size=0.3, seed=3)
    sides = [set(split.groups[m]) for m in (split.train, split.validation, split.test)]
    assert all(sides) and not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    again = split_clips(clips, split_by=SPEAKER, test_size=0.25, validation_size=0.3, seed=3)
    assert (again.test == split.test).all() and (again.validation == split.validation).all()


def test_bad_training_input(small_fsdd, tmp_path):
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    with pytest.raises(OptionError, match="does not match"):
        group_of(clips[0], r"^(x)")
    with pytest.raises(OptionError, match="leave no train or no test"):
        train_head(clips, tmp_path / "m", split_by=SPEAKER, test_groups=["nobody"])
    with pytest.raises(OptionError, match="at least two labels"):
        train_head([c for c in clips if c.label == "0"], tmp_path / "m")
    with pytest.raises(OptionError, match="head 'tree' is not known"):
        train_head(clips, tmp_path / "m", head="tree")


def test_keyword_detector_from_real_recordings_fires_in_a_stream(tmp_path):
    """30 recordings of "computer", negatives cut from other words: the detector streams."""
    positives = sorted(shared_path("data", "wakewords", "computer").glob("*.wav"))
    others = sorted(shared_path("data", "wakewords", "jarvis").glob("*.wav"))[:30]
    others += sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))
    report = train_keyword(
        [LabelledClip(str(p), "computer") for p in positives[:30]],
        [LabelledClip(str(p), "x") for p in others],
        tmp_path / "kw",
        keyword="computer",
        cache=tmp_path,
    )
    evaluation = json.loads((tmp_path / "kw" / "evaluation.json").read_text())
    assert evaluation["recall"] >= 0.7 and evaluation["false_accept_rate"] <= 0.1, evaluation
    model = earmark.load(tmp_path / "kw")
    assert model.labels == ("computer",) and report.labels == ("computer",)
    unseen = [earmark.load_audio(p) for p in positives[60:63]]
    clip_score = model.classify(unseen[0], top_k=None).scores[0].score
    assert model.score_frames(model.encoder.frames(unseen[0]))[0] == pytest.approx(clip_score, abs=1e-5)
    gap = np.zeros(3 * 16000, np.float32)  # a pause between keywords
    stream = np.concatenate([gap, *[np.concatenate([a.samples, gap]) for a in unseen], noise(2.0), tone(300, 2.0)])
    ends = np.cumsum([3.0] + [a.duration_s + 3.0 for a in unseen])
    result = CliRunner().invoke(app, ["listen", "-", "--model", str(tmp_path / "kw"), "--jsonl"], input=_pcm(stream))
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert 2 <= len(events) <= 3 and {e["label"] for e in events} == {"computer"}
    assert all(e["end_s"] < ends[-1] for e in events)  # none in the noise and tone at the end


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def test_cli_train(small_fsdd, tmp_path, caplog):
    args = ["train", str(small_fsdd), "--out", str(tmp_path / "m"), "--label-pattern", r"^(\d+)_"]
    result = CliRunner().invoke(app, [*args, "--split-by", SPEAKER, "--test-group", "george", "--head", "mlp"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "report.json").read_text())["test_groups"] == ["george"]
    assert not list((tmp_path / "m").glob("*.npz"))  # the frame cache lives in earmark's cache, not the model
    with caplog.at_level("WARNING", logger="earmark"):
        CliRunner().invoke(app, ["evaluate", str(small_fsdd), "-m", str(tmp_path / "m"), "--label-pattern", r"^(\d+)_"])
    assert "were used to train" in caplog.text  # evaluating on training clips is warned about
    card = (tmp_path / "m" / "README.md").read_text()
    assert "licence: Licence" not in card and "licence: License" not in card
    classified = CliRunner().invoke(
        app, ["classify", str(small_fsdd / "2_george_1.wav"), "-m", str(tmp_path / "m"), "--json"]
    )
    assert classified.exit_code == 0 and json.loads(classified.stdout)[0]["label"] in {"0", "1", "2"}
    bad = CliRunner().invoke(app, [*args, "--split-by", "^(nobody)"])
    assert bad.exit_code == 2 and "does not match" in bad.output


def test_cli_train_keyword(tmp_path):
    positives = tmp_path / "computer"
    positives.mkdir()
    for p in sorted(shared_path("data", "wakewords", "computer").glob("*.wav"))[:20]:
        shutil.copy(p, positives / p.name)
    negatives = str(shared_path("data", "speech_commands", "no"))
    longer = [str(shared_path("data", "multilingual")), str(shared_path("data", "wakewords", "jarvis"))]
    args = ["train-keyword", str(positives), "--out", str(tmp_path / "kw"), "--negatives", negatives]
    calibration = ["--fa-per-hour", "20", "--calibration-negatives", longer[0], "--calibration-negatives", longer[1]]
    result = CliRunner().invoke(app, [*args, *calibration])
    assert result.exit_code == 0, result.output
    assert "keyword is caught in" in result.output
    assert json.loads((tmp_path / "kw" / "earmark.json").read_text())["detector"] == "computer"
    # its threshold was chosen on held-out and calibration negatives streamed as listen streams them
    chosen = json.loads((tmp_path / "kw" / "calibration.json").read_text())
    computer = chosen["classes"]["computer"]
    assert chosen["target"] == "fa-per-hour=20" and chosen["negatives_hours"] >= 0.05
    assert computer["threshold"] is not None and computer["fa_per_hour"] <= 20 and computer["positives"] >= 5
    assert f"threshold {computer['threshold']:.4g} for computer" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = CliRunner().invoke(app, ["train-keyword", str(empty), "--out", str(tmp_path / "x"), "--negatives", negatives])
    assert bad.exit_code == 2 and "no audio files" in bad.output


def test_the_default_encoder_is_chosen_on_the_training_clips(small_fsdd, cache, tmp_path):
    """encoder="auto": speech goes to openWakeWord + Whisper base, sound events to BirdNET, each chosen
    by a cross-validation over the training speakers/folds only (never the held-out ones)."""
    clips = load_labelled(small_fsdd, label_pattern=r"^(\d+)_")
    report = train_head(clips, tmp_path / "speech", split_by=SPEAKER, test_groups=["lucas"], cache=cache)
    choice = report.details["encoder_choice"]
    assert report.base == "openwakeword+whisper-base" and choice[report.base] > choice["birdnet"], choice
    esc10 = shared_path("data", "esc10")
    events = load_labelled(esc10)  # all ten classes: on five of them the two candidates tie
    report = train_head(events, tmp_path / "events", split_by=r"^(\d)-", test_groups=["4"], cache=cache)
    assert report.base == "birdnet", report.details["encoder_choice"]
    assert json.loads((tmp_path / "events" / "earmark.json").read_text())["encoder"] == "birdnet"
    assert "non-commercial" in (tmp_path / "events" / "README.md").read_text()
