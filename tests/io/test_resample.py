"""One resampling for arrays, whole files, streams and spans: the same samples bit for bit."""

import numpy as np
import pytest
import soxr

from earmark.io.resample import PIECE_S, piece_start, resample, resample_blocks


def blocks(x, size):
    return (x[i : i + size] for i in range(0, len(x), size))


@pytest.mark.parametrize("native,rate", [(48000, 16000), (44100, 48000), (44100, 16000), (22050, 32000)])
@pytest.mark.parametrize("seconds", [0.01, 5.0, PIECE_S + 0.5, 130.3])
def test_streams_and_spans_give_the_arrays_samples(native, rate, seconds):
    x = (0.1 * np.random.default_rng(1).standard_normal(round(native * seconds))).astype(np.float32)
    whole = resample(x, native, rate)
    assert len(whole) == round(len(x) * rate / native)
    if seconds <= PIECE_S + 1:  # up to a piece (and its context): soxr's own one-shot result
        np.testing.assert_array_equal(whole, soxr.resample(x, native, rate, quality="HQ"))
    else:  # pieces agree with one-shot soxr far below 16-bit quantisation
        assert np.abs(whole - soxr.resample(x, native, rate, quality="HQ")).max() < 1e-6
    for size in (997, 65536):
        np.testing.assert_array_equal(np.concatenate(list(resample_blocks(blocks(x, size), native, rate))), whole)
    for at_s in (30.0, 61.0, 100.0):
        frame, origin = piece_start(round(at_s * rate), native, rate)
        if at_s >= seconds - 10:  # spans never start in a file's last seconds (spans.MIN_LAST_S)
            continue
        part = np.concatenate(list(resample_blocks(blocks(x[frame:], 4096), native, rate, origin=origin)))
        assert origin <= round(at_s * rate) and origin + len(part) == len(whole)
        np.testing.assert_array_equal(part, whole[origin:])


def test_stereo_arrays_resample_per_channel():
    x = np.random.default_rng(0).standard_normal((48000 * 70, 2)).astype(np.float32) * 0.1
    both = resample(x, 48000, 16000)
    np.testing.assert_array_equal(both[:, 1], resample(np.ascontiguousarray(x[:, 1]), 48000, 16000))
