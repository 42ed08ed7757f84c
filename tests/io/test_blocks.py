"""Files read in blocks: the same samples and windows as the whole-file decoder, every check kept,
damage met mid-file raised where it is met (after the blocks before it)."""

import numpy as np
import pytest
import soundfile as sf

import earmark
from earmark import AudioError
from earmark.io.blocks import model_blocks, open_stream
from earmark.io.resample import resample

import bad_inputs

OK_CASES = [(name, make) for name, expected, make in bad_inputs.cases() if expected == "ok"]


def whole_file_reference(path: str, rate: int) -> np.ndarray:
    """The decoder before blocks: the whole file at once (libsndfile or FFmpeg), averaged, resampled."""
    try:
        if path.endswith(".mp3"):  # earmark reads MP3 with FFmpeg (libsndfile's is wrong in blocks)
            raise sf.LibsndfileError(0)
        samples, native = sf.read(path, dtype="float32", always_2d=True)
    except sf.LibsndfileError:
        from torchcodec.decoders import AudioDecoder

        decoded = AudioDecoder(path).get_all_samples()
        samples, native = decoded.data.numpy().T, int(decoded.sample_rate)
    mono = samples.T.mean(axis=0, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0]
    return resample(mono, native, rate)  # soxr itself up to a minute (tests/io/test_resample.py)


@pytest.mark.parametrize("rate", [16000, 48000])
@pytest.mark.parametrize("name,make", OK_CASES, ids=[n for n, _ in OK_CASES])
def test_blocks_are_the_whole_file(name, make, rate, tmp_path):
    path = make(tmp_path)
    with open_stream(path) as stream:
        streamed = np.concatenate(list(model_blocks(stream, rate)))
    np.testing.assert_array_equal(streamed, whole_file_reference(path, rate))


def _long_flac(path, seconds=60.0, rate=16000, channels=1):
    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (300 + 200 * np.sin(t / 7)) * t)
    data = np.stack([tone + 0.01 * rng.standard_normal(len(t)) for _ in range(channels)], 1).astype(np.float32)
    sf.write(path, data, rate, subtype="PCM_16")
    return data


def _damage(path, at: float):
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    data[start : start + 4000] = bytes(4000)  # frames zeroed: their sync codes and CRCs are gone
    path.write_bytes(bytes(data))


def test_damage_after_the_first_block_is_an_audio_error_after_the_blocks_before_it(tmp_path):
    path = tmp_path / "damaged.flac"
    _long_flac(path)
    _damage(path, 0.6)
    got = []
    with pytest.raises(AudioError, match=r"damaged\.flac.*(damaged|truncated)") as info, open_stream(str(path)) as s:
        for block in s.blocks():
            got.append(block)
    assert "\n" not in str(info.value)
    assert sum(len(b) for b in got) > 16000 * 10  # the first part was read
    with pytest.raises(AudioError):  # and the whole-file decoder refuses it as well
        earmark.load_audio(path)


def test_a_streamed_file_keeps_the_segments_before_the_damage(tmp_path, loaded, monkeypatch):
    monkeypatch.setattr("earmark.classifier.STREAM_ABOVE_S", 10.0)
    path = tmp_path / "damaged.flac"
    _long_flac(path)
    _damage(path, 0.6)
    model = loaded("ast")
    segments = []
    (failure,) = model.classify_many(
        [str(path)], errors="yield", merge=False, on_segment=lambda source, seg: segments.append(seg)
    )
    assert isinstance(failure, earmark.Failure) and failure.error_type == "AudioError"
    assert len(segments) >= 20 and segments[0].start_s == 0.0


@pytest.mark.parametrize("native,channels", [(16000, 1), (48000, 2), (44100, 1)])
def test_a_long_file_streamed_equals_the_same_audio_classified_whole(native, channels, tmp_path, loaded, monkeypatch):
    monkeypatch.setattr("earmark.classifier.STREAM_ABOVE_S", 20.0)
    path = tmp_path / f"long-{native}.flac"
    data = _long_flac(path, seconds=45.0, rate=native, channels=channels)
    decoded, _ = sf.read(path, dtype="float32", always_2d=True)  # the file's own samples (PCM_16)
    model = loaded("ast")
    for options in ({"window_s": 1.0, "hop_s": 0.4}, {"merge": False, "pooling": "max"}, {"pooling": "vote"}):
        streamed = model.classify(str(path), **options)
        whole = model.classify(earmark.Audio(decoded.T, native, str(path)), **options)
        assert streamed.to_dict() == whole.to_dict()
        assert len(streamed.timeline) > 1
    assert data.shape[0] == decoded.shape[0]


def test_a_stream_job_holds_no_timeline_when_told(tmp_path, loaded, monkeypatch):
    monkeypatch.setattr("earmark.classifier.STREAM_ABOVE_S", 10.0)
    path = tmp_path / "long.flac"
    _long_flac(path, seconds=30.0)
    model = loaded("ast")
    seen = []
    (prediction,) = model.classify_many(
        [str(path)], keep_timeline=False, merge=False, on_segment=lambda source, seg: seen.append((source, seg))
    )
    assert len(prediction.timeline) == 0 and len(seen) == 30 and seen[0][0] == str(path)
    assert [s for _, s in seen] == list(model.classify(str(path), merge=False).timeline)


def test_long_mp3_blocks_hold_every_sample(tmp_path):
    """libsndfile 1.2.2 returns zeros after each partial read of an MP3; earmark's blocks do not."""
    t = np.arange(44100 * 20) / 44100
    sf.write(tmp_path / "long.mp3", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100, format="MP3")
    whole, _ = sf.read(tmp_path / "long.mp3", dtype="float32")  # one read: libsndfile is right here
    with open_stream(str(tmp_path / "long.mp3")) as stream:
        streamed = np.concatenate(list(stream.blocks(frames=65536)))[:, 0]
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=1e-5)
