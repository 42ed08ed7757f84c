"""Every kind of input becomes Audio; every bad one is a one-line AudioError."""

import http.server
import io
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from earmark import Audio, AudioError, load_audio

from synthetic import DATA, noise, shared_path, tone


@pytest.fixture(scope="module")
def wav_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    sf.write(path, tone(440, 1.0), 16000, subtype="PCM_16")
    return path


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG", "MP3"])
def test_libsndfile_formats_decode_without_ffmpeg(fmt, tmp_path):
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, tone(440, 1.0), 16000, format=fmt)
    audio = load_audio(path)
    assert audio.sample_rate == 16000
    assert audio.num_samples == pytest.approx(16000, abs=1200)  # MP3 adds encoder delay
    assert np.abs(audio.samples).max() == pytest.approx(0.5, abs=0.06)


def test_m4a_goes_through_ffmpeg(tmp_path):
    encoders = pytest.importorskip("torchcodec.encoders")
    path = tmp_path / "x.m4a"
    encoders.AudioEncoder(torch.from_numpy(tone(440, 1.0))[None], sample_rate=16000).to_file(str(path))
    audio = load_audio(path)
    assert audio.sample_rate == 16000 and audio.duration_s == pytest.approx(1.0, abs=0.1)


def test_path_bytes_and_file_object_agree(wav_file):
    from_path = load_audio(wav_file)
    from_bytes = load_audio(wav_file.read_bytes())
    with open(wav_file, "rb") as f:
        from_file = load_audio(f)
    for audio in (from_bytes, from_file):
        np.testing.assert_array_equal(audio.samples, from_path.samples)
    assert from_path.source == str(wav_file)


def test_url_over_loopback(wav_file):
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(wav_file.parent), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert load_audio(f"{base}/{wav_file.name}").num_samples == 16000
        with pytest.raises(AudioError, match="could not download"):
            load_audio(f"{base}/missing.wav")
    finally:
        server.shutdown()


def test_dicts_like_datasets_gives_them(wav_file):
    array = noise()
    assert load_audio({"array": array, "sampling_rate": 16000, "path": "a.wav"}).source == "a.wav"
    assert load_audio({"raw": array, "sampling_rate": 8000}).sample_rate == 8000
    assert load_audio({"bytes": wav_file.read_bytes(), "path": "x.wav"}).num_samples == 16000
    assert load_audio({"path": str(wav_file), "bytes": None}).num_samples == 16000


def test_datasets_audio_decoder(wav_file):
    decoders = pytest.importorskip("torchcodec.decoders")
    audio = load_audio(decoders.AudioDecoder(str(wav_file)))
    np.testing.assert_allclose(audio.samples, load_audio(wav_file).samples, atol=1e-4)


def test_arrays_need_a_sample_rate():
    with pytest.raises(AudioError, match="without a sample rate"):
        load_audio(noise())
    with pytest.raises(AudioError, match="without a sample rate"):
        load_audio(torch.zeros(100))
    assert load_audio(noise(), sample_rate=16000).sample_rate == 16000


def test_sample_rate_must_not_contradict_a_file(wav_file):
    with pytest.raises(AudioError, match="only for bare arrays"):
        load_audio(wav_file, sample_rate=8000)


def test_real_fsdd_8k_and_esc10_44k():
    fsdd = sorted(shared_path("data", "fsdd", "recordings").glob("*.wav"))[0]
    audio = load_audio(fsdd)
    assert audio.sample_rate == 8000 and 0.1 < audio.duration_s < 2.0
    esc = sorted(shared_path("data", "esc10").rglob("*.ogg"))[0]
    audio = load_audio(esc)
    assert audio.sample_rate == 44100 and audio.duration_s == pytest.approx(5.0, abs=0.05)


def test_alexa_flac_from_the_wakeword_set():
    flac = sorted(shared_path("data", "wakewords").rglob("*.flac"))[0]
    assert load_audio(flac).sample_rate == 16000


@pytest.fixture
def bad_files(tmp_path, wav_file):
    files = {}
    files["empty"] = tmp_path / "empty.wav"
    files["empty"].write_bytes(b"")
    files["text"] = tmp_path / "notes.wav"
    files["text"].write_text("this is not audio at all\n" * 10)
    data = wav_file.read_bytes()
    files["truncated_wav"] = tmp_path / "cut.wav"
    files["truncated_wav"].write_bytes(data[: len(data) // 2])
    buf = io.BytesIO()
    sf.write(buf, noise(2.0), 16000, format="FLAC")
    files["truncated_flac"] = tmp_path / "cut.flac"
    files["truncated_flac"].write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    buf = io.BytesIO()
    sf.write(buf, noise(2.0), 16000, format="OGG")
    files["truncated_ogg"] = tmp_path / "cut.ogg"
    files["truncated_ogg"].write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return files


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "empty"),
        ("text", "not (a decodable audio file|readable as audio)"),
        ("truncated_wav", "truncated"),
        ("truncated_flac", "not (a decodable audio file|readable as audio)|truncated"),
        ("truncated_ogg", "truncated|no samples"),
    ],
)
def test_bad_files_give_one_line_errors(bad_files, kind, message):
    with pytest.raises(AudioError, match=message) as info:
        load_audio(bad_files[kind])
    assert "\n" not in str(info.value)
    assert str(bad_files[kind]) in str(info.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/no/such/file.wav", "no such file"),
        (b"", "empty"),
        (12345, "cannot read audio from a int"),
        ({"sampling_rate": 16000}, "needs 'array'"),
        ({"array": np.zeros(10)}, "no 'sampling_rate'"),
    ],
)
def test_bad_sources(source, message):
    with pytest.raises(AudioError, match=message):
        load_audio(source)


def test_directory_is_not_a_file():
    with pytest.raises(AudioError, match="is a directory"):
        load_audio(DATA if DATA.exists() else Path("."))


def test_audio_passes_through():
    audio = Audio(noise(), 16000)
    assert load_audio(audio) is audio
