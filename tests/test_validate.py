"""The one check between decoding and every model: sample rate and sample values."""

import numpy as np
import pytest

from earmark import Audio, AudioError
from earmark.options import ClassifyOptions
from earmark.validate import check_audio


def test_a_sane_input_passes_unchanged():
    audio = Audio(np.full(100, 0.5, np.float32), 16000)
    assert check_audio(audio, ClassifyOptions()) is audio


def test_rates_outside_the_range_are_refused():
    with pytest.raises(AudioError, match="sample rate 500 Hz is not allowed; earmark takes 1000-768000 Hz"):
        check_audio(Audio(np.zeros(10, np.float32), 500), ClassifyOptions())
    assert check_audio(Audio(np.zeros(10, np.float32), 500), ClassifyOptions(sample_rates=(100, 1000)))


def test_unscaled_samples_are_refused_or_rescaled():
    loud = Audio(np.array([0.0, 900.0, -450.0], np.float32), 16000, "x.wav")
    with pytest.raises(AudioError, match="x.wav: samples reach 900"):
        check_audio(loud, ClassifyOptions())
    rescaled = check_audio(loud, ClassifyOptions(rescale=True))
    np.testing.assert_allclose(rescaled.samples, [0.0, 1.0, -0.5])
