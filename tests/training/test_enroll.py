"""Speaker enrolment on real FSDD recordings: enrol -> classify -> the right speaker; a stranger -> unknown;
--add; verify; the timeline of two speakers back to back names them in order; the GE2E network in NumPy
equals torch's LSTM on real mel windows; a Hub x-vector tiny model works end to end."""

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import earmark
from earmark import OptionError
from earmark.cli import app
from earmark.io.decode import load_audio
from earmark.training.enroll import enroll, verify

from synthetic import shared_path

KNOWN = ["jackson", "lucas", "nicolas", "yweweler"]
STRANGER = "george"  # never enrolled, except by --add


def clip(speaker: str, digit: int, take: int):
    return shared_path("data", "fsdd", "recordings", f"{digit}_{speaker}_{take}.wav")


def utterance(speaker: str, take: int) -> np.ndarray:
    """A speaker saying the ten digits (one FSDD take), ~4.5 s at 16 kHz: an enrolment or test utterance."""
    return np.concatenate([load_audio(str(clip(speaker, d, take))).mono().resample(16000).samples for d in range(10)])


def write_speakers(folder, speakers, takes):
    import soundfile as sf

    for s in speakers:
        (folder / s).mkdir(parents=True, exist_ok=True)
        for t in takes:
            sf.write(folder / s / f"{t}.wav", utterance(s, t), 16000)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speakers")
    enroll(write_speakers(folder / "enrol", KNOWN, range(3)), folder / "model")  # three utterances each
    return folder / "model"


def test_enrolled_speakers_are_recognised(model):
    speakers = earmark.load(model)
    assert speakers.engine == "speakers" and speakers.labels == (*KNOWN, "unknown")
    answers = [(s, speakers(utterance(s, t), sample_rate=16000).scores[0].label) for s in KNOWN for t in range(5, 9)]
    assert sum(s == got for s, got in answers) >= 15, answers  # of 16 unseen utterances


def test_a_stranger_is_unknown(model):
    speakers = earmark.load(model)
    answers = [speakers(utterance(STRANGER, t), sample_rate=16000).scores[0].label for t in range(5, 9)]
    assert answers.count("unknown") >= 3, answers
    scores = {s.label: s.score for s in speakers(utterance(STRANGER, 5), sample_rate=16000, top_k=None).scores}
    assert scores["unknown"] == pytest.approx(json.loads((model / "earmark.json").read_text())["threshold"])


def test_add_a_speaker_without_re_enrolling(model, tmp_path):
    import shutil

    grown = tmp_path / "grown"
    shutil.copytree(model, grown)
    more = write_speakers(tmp_path / "more", [STRANGER], range(3))
    report = enroll(more, grown, add=True)
    assert report.added == 3 and report.speakers == {**dict.fromkeys(KNOWN, 3), STRANGER: 3}
    assert earmark.load(grown)(utterance(STRANGER, 7), sample_rate=16000).scores[0].label == STRANGER
    again = enroll(more, grown, add=True)  # the same clips: nothing new
    assert again.added == 0 and again.speakers[STRANGER] == 3
    with pytest.raises(OptionError, match="is a speaker model already; use --add"):
        enroll(more, grown)


def test_verify_same_and_different_voices(model):
    same = verify(str(clip("lucas", 3, 7)), str(clip("lucas", 8, 9)), model=str(model))
    other = verify(str(clip("lucas", 3, 7)), str(clip("jackson", 3, 7)), model=str(model))
    assert same.same and not other.same and same.score > other.score
    assert same.threshold_from == f"speaker model {model}"
    result = CliRunner().invoke(
        app, ["verify", str(clip("lucas", 3, 7)), str(clip("lucas", 8, 9)), "--threshold", "0.99"]
    )
    assert result.exit_code == 0 and json.loads(result.output) | {"score": 0} == {
        "same": False,
        "score": 0,
        "threshold": 0.99,
        "threshold_from": "given",
    }


def test_the_timeline_names_two_speakers_in_order(model, tmp_path):
    import soundfile as sf

    first, second = utterance("jackson", 9), utterance("nicolas", 9)
    sf.write(tmp_path / "two.wav", np.concatenate([first, second]), 16000)
    prediction = earmark.load(model)(str(tmp_path / "two.wav"), window_s=2.0, hop_s=2.0)
    segments = [(s.start_s, s.end_s, s.scores[0].label) for s in prediction.timeline.segments]
    named = [label for _, _, label in segments if label != "unknown"]  # a window across the change may be neither
    assert named == ["jackson", "nicolas"], segments
    boundary = len(first) / 16000
    assert segments[0][2] == "jackson" and segments[0][1] <= boundary + 1.0
    assert segments[-1][2] == "nicolas" and segments[-1][0] >= boundary - 1.0


def test_the_numpy_network_equals_torch_lstm_on_real_mels():
    import torch

    from earmark.engines.ge2e import embed_partials, ge2e_mel, weights

    w = weights()
    lstm, linear = torch.nn.LSTM(40, 256, 3, batch_first=True), torch.nn.Linear(256, 256)
    lstm.load_state_dict({k[5:]: torch.from_numpy(v) for k, v in w.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: torch.from_numpy(v) for k, v in w.items() if k.startswith("linear.")})
    words = [load_audio(str(clip(s, 4, 0))).mono().resample(16000).samples for s in KNOWN]
    mels = np.stack([ge2e_mel(np.pad(x, (0, 25600)))[:160] for x in words])
    with torch.no_grad():
        hidden = lstm(torch.from_numpy(mels))[1][0][-1]
        raw = torch.relu(linear(hidden))
        expected = (raw / raw.norm(dim=1, keepdim=True)).numpy()
    np.testing.assert_allclose(embed_partials(mels), expected, atol=1e-5)


def test_the_cli_enrols_and_a_hub_xvector_model_works_end_to_end(model_dir, tmp_path):
    enrol = tmp_path / "enrol.csv"
    with open(enrol, "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["path", "label"])
        rows.writerows((str(clip(s, d, 0)), s) for s in KNOWN[:2] for d in range(5))
    result = CliRunner().invoke(
        app, ["enroll", str(enrol), "--out", str(tmp_path / "xv"), "--encoder", str(model_dir("xvector")), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["speakers"] == {"jackson": 5, "lucas": 5} and report["threshold_from"] == "enrolment clips"
    scores = earmark.load(tmp_path / "xv")(str(clip("lucas", 6, 2)), top_k=None).scores
    assert sorted(s.label for s in scores) == ["jackson", "lucas", "unknown"]
    bad = CliRunner().invoke(app, ["enroll", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
