"""Real wake-word models (openWakeWord, microWakeWord) on the Picovoice benchmark clips."""

import io
import json
import wave

import numpy as np
import pytest

import earmark
from earmark import load_audio
from earmark.io.streams import stdin_chunks
from earmark.streaming import listener

from synthetic import noise, shared_path

pytest.importorskip("ai_edge_litert")
pytest.importorskip("wyoming_openwakeword")
pytest.importorskip("pymicro_wakeword")

PAD = np.zeros(16000, np.float32)


def padded(path) -> np.ndarray:
    """A clip with 1 s of silence either side, as openWakeWord's predict_clip pads."""
    return np.concatenate([PAD, load_audio(path).mono().resample(16000).samples, PAD])


@pytest.fixture(scope="module")
def both():
    return listener(["wake-word/alexa", "wake-word/alexa@micro"])


def alexa_clips():
    return sorted(shared_path("data", "wakewords", "alexa").glob("*.flac"))


@pytest.mark.parametrize("label", ["alexa", "alexa@micro"])
def test_alexa_models_detect_at_least_90_percent(both, label):
    clips = alexa_clips()
    found = 0
    for path in clips:
        both.reset()
        found += any(e.label == label for e in both.listen([padded(path)], 16000))
    assert found / len(clips) >= 0.9


@pytest.mark.parametrize("chunk_s", [0.01, 0.08, 1.0, None])
def test_chunk_size_does_not_change_events(both, chunk_s):
    audio = padded(alexa_clips()[1])
    both.reset()
    whole = both.listen([audio], 16000)
    step = len(audio) if chunk_s is None else int(chunk_s * 16000)
    both.reset()
    chunked = both.listen([audio[i : i + step] for i in range(0, len(audio), step)], 16000)
    assert chunked == whole and {e.label for e in whole} == {"alexa", "alexa@micro"}


def test_reset_gives_the_same_events_again(both):
    audio = padded(alexa_clips()[2])
    both.reset()
    first = both.listen([audio], 16000)
    both.reset()
    assert both.listen([audio], 16000) == first


@pytest.mark.parametrize("rate", [8000, 44100])
def test_other_rates_and_stereo(both, rate):
    import soxr

    audio = padded(alexa_clips()[3])
    both.reset()
    reference = both.listen([audio], 16000)
    other = soxr.resample(audio, 16000, rate)
    both.reset()
    events = both.listen([np.stack([other, other])], rate)
    # 8 kHz audio has nothing above 4 kHz: openWakeWord still hears alexa, microWakeWord may not.
    expected = {e.label for e in reference} if rate > 16000 else {"alexa"}
    assert expected <= {e.label for e in events} <= {e.label for e in reference}
    by_label = {e.label: e for e in reference}
    for event in events:
        assert event.end_s == pytest.approx(by_label[event.label].end_s, abs=0.1)


def test_silence_and_noise_fire_nothing(both):
    both.reset()
    assert both.listen([np.zeros(16000 * 10, np.float32), noise(10.0)], 16000) == []


def test_stdin_raw_pcm_wav_stream_and_truncated_stream():
    audio = padded(alexa_clips()[4])
    pcm = (audio * 32767).astype("<i2").tobytes()
    stream = listener(["wake-word/alexa"])
    raw = stream.listen(stdin_chunks(io.BytesIO(pcm)))
    assert [e.label for e in raw] == ["alexa"]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(pcm)
    stream.reset()
    assert stream.listen(stdin_chunks(io.BytesIO(buffer.getvalue()))) == raw
    stream.reset()
    cut = buffer.getvalue()[: 44 + len(pcm) // 2 + 1]  # header promises more; odd byte count
    assert isinstance(stream.listen(stdin_chunks(io.BytesIO(cut))), list)


def test_any_classifier_streams_on_a_sliding_window(model_dir):
    stream = listener([str(model_dir("ast"))], earmark.streaming.StreamOptions(threshold=0.0, refractory_s=10))
    events = stream.listen([noise(2.0)], 16000)
    assert events and {e.label for e in events} <= {"yes", "no", "up", "down"}


def test_unknown_wake_word():
    with pytest.raises(earmark.ModelError, match="available: alexa"):
        listener(["wake-word/marvin"])


def test_cli_listen(tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    runner = CliRunner()
    path = shared_path("data", "wakewords", "multiple_keywords.wav")
    result = runner.invoke(app, ["listen", str(path), "-m", "wake-word/alexa", "--jsonl"])
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["label"] for e in events] == ["alexa"] and 7.0 < events[0]["end_s"] < 9.5
    missing_mic = runner.invoke(app, ["listen", "--mic"])
    assert missing_mic.exit_code == 2 and "pip install 'earmark[mic]'" in missing_mic.stderr
    both = runner.invoke(app, ["listen"])
    assert both.exit_code == 2 and "--mic" in both.stderr


def test_vad_gate_keeps_speech_events_and_chunking_invariance():
    from earmark.streaming import StreamOptions

    gated = listener(["wake-word/alexa"], StreamOptions(vad_threshold=0.5))
    audio = padded(alexa_clips()[1])
    whole = gated.listen([audio], 16000)
    gated.reset()
    assert gated.listen([audio[i : i + 800] for i in range(0, len(audio), 800)], 16000) == whole
    assert [e.label for e in whole] == ["alexa"]
    gated.reset()
    assert gated.listen([noise(5.0)], 16000) == []


def test_wake_word_models_are_classifiers_too():
    clf = earmark.load("wake-word")
    assert clf.labels == ("alexa",)
    clips = alexa_clips()[:5] + sorted(shared_path("data", "wakewords", "computer").glob("*"))[:5]
    scores = [p.scores[0].score for p in clf.classify_many(clips)]
    assert min(scores[:5]) > 0.5 > max(scores[5:])
