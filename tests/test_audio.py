"""The Audio value type: dtype handling, channels, validation, resampling."""

import numpy as np
import pytest
import torch

from earmark import Audio, AudioError

from synthetic import tone


def test_int16_is_scaled_to_float():
    audio = Audio(np.array([0, 16384, -32768], dtype=np.int16), 8000)
    np.testing.assert_allclose(audio.samples, [0.0, 0.5, -1.0])
    assert audio.samples.dtype == np.float32


def test_uint8_and_int32_and_float64():
    np.testing.assert_allclose(Audio(np.array([128, 255, 0], dtype=np.uint8), 8000).samples, [0, 127 / 128, -1])
    np.testing.assert_allclose(Audio(np.array([2**30], dtype=np.int32), 8000).samples, [0.5])
    assert Audio(np.zeros(4, dtype=np.float64), 8000).samples.dtype == np.float32


@pytest.mark.parametrize("layout", ["channels_first", "channels_last"])
def test_stereo_either_layout_downmixes_to_the_mean(layout):
    left, right = tone(440), tone(880)
    data = np.stack([left, right]) if layout == "channels_first" else np.stack([left, right], axis=1)
    audio = Audio(data, 16000)
    assert audio.num_channels == 2 and audio.num_samples == 16000
    np.testing.assert_allclose(audio.mono().samples, (left + right) / 2, atol=1e-6)


def test_torch_tensor_is_accepted():
    audio = Audio(torch.from_numpy(tone()), 16000)
    assert audio.duration_s == pytest.approx(1.0)


def test_resample_keeps_the_tone():
    audio = Audio(tone(440, 1.0, rate=44100), 44100).resample(16000)
    assert audio.sample_rate == 16000 and audio.num_samples == 16000
    spectrum = np.abs(np.fft.rfft(audio.samples))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)


def test_slice_s():
    assert Audio(tone(seconds=2.0), 16000).slice_s(0.5, 1.0).num_samples == 8000


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (np.zeros(0, np.float32), 16000, "empty"),
        (np.array([0.0, np.nan], np.float32), 16000, "NaN or infinite"),
        (np.array([0.0, np.inf], np.float32), 16000, "NaN or infinite"),
        (np.zeros(10, np.float32), 0, "positive whole number"),
        (np.zeros(10, np.float32), -16000, "positive whole number"),
        (np.zeros(10, np.float32), 16000.5, "positive whole number"),
        (np.zeros((2, 2, 2), np.float32), 16000, "shape"),
        (np.zeros((100, 100), np.float32), 16000, "channel axis"),
        (np.array(["a", "b"]), 16000, "not audio"),
        (np.zeros(3, np.int64), 16000, "int8/16/32"),
    ],
)
def test_bad_samples_raise_audio_error(samples, rate, message):
    with pytest.raises(AudioError, match=message):
        Audio(samples, rate)


def test_audio_error_is_a_value_error():
    with pytest.raises(ValueError):
        Audio(np.zeros(0, np.float32), 16000)
