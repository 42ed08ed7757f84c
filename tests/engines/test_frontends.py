"""The NumPy front ends equal transformers' extractors on real clips (to 1e-5), and a front end saved in an
export folder reads back the same."""

import numpy as np
import pytest

from earmark.engines.frontends import Frontend, describe, load_frontend, mel_filters
from earmark.errors import ModelError
from earmark.io.decode import load_audio

from synthetic import shared_path

TOLERANCE = 1e-5


def _clips(rate: int) -> list[np.ndarray]:
    """Real clips of different lengths: speech commands (1 s) and ESC-10 (5 s), at the extractor's rate."""
    words = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[:2]
    sounds = sorted(shared_path("data", "esc10", "001 - Dog bark").glob("*.ogg"))[:1]
    clips = [load_audio(str(p)).mono().resample(rate).samples for p in [*words, *sounds]]
    return [clips[0], clips[1][: len(clips[1]) // 2], clips[2]]  # a half-length word too


def _extractors():
    from transformers import (
        ASTFeatureExtractor,
        ClapFeatureExtractor,
        Wav2Vec2FeatureExtractor,
        WhisperFeatureExtractor,
    )

    return {
        "ast": ASTFeatureExtractor(),
        "ast-16": ASTFeatureExtractor(num_mel_bins=16, max_length=100),
        "wav2vec2": Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=False),
        "wav2vec2-mask": Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True),
        "hubert": Wav2Vec2FeatureExtractor(do_normalize=False),
        "whisper": WhisperFeatureExtractor(),
        "whisper-128": WhisperFeatureExtractor(feature_size=128),
        "clap": ClapFeatureExtractor(truncation="rand_trunc"),
    }


@pytest.mark.parametrize("name", list(_extractors()))
def test_front_end_equals_transformers_extractor(name, monkeypatch):
    """To 1e-5 of transformers' NumPy path; Whisper's extractor takes torch's STFT where torch is installed,
    and that path is checked too, to 5e-5 (3 of 240,000 values differ by more than 1e-5 there)."""
    extractor = _extractors()[name]
    if not name.startswith("whisper"):
        _compare(extractor, TOLERANCE)
    else:
        from transformers.models.whisper import feature_extraction_whisper

        monkeypatch.setattr(feature_extraction_whisper, "is_torch_available", lambda: False)
        _compare(extractor, TOLERANCE)
        monkeypatch.undo()
        _compare(extractor, 5e-5)


def _compare(extractor, tolerance: float) -> None:
    frontend = describe(extractor)
    clips = _clips(frontend.sample_rate)
    batches = [[c] for c in clips] + ([clips] if frontend.kind == "waveform" else [])  # padded batches too
    for batch in batches:
        padding = {"padding": True} if frontend.kind == "waveform" else {}
        expected = extractor(batch, sampling_rate=frontend.sample_rate, return_tensors="np", **padding)
        got = frontend(batch)
        for key, value in got.items():
            np.testing.assert_allclose(value, np.asarray(expected[key]), atol=tolerance, rtol=0, err_msg=key)


def test_a_saved_front_end_reads_back_the_same(tmp_path):
    frontend = describe(_extractors()["whisper"])
    assert sorted(frontend.save(tmp_path)) == ["frontend.json", "mel_filters.npy", "window.npy"]
    again = load_frontend(tmp_path)
    clip = _clips(16000)[0]
    np.testing.assert_array_equal(again([clip])["input_features"], frontend([clip])["input_features"])
    assert again.window_s == 30.0


def test_slaney_filters_equal_transformers():
    from transformers.audio_utils import mel_filter_bank

    for n_mels in (40, 80, 128):
        expected = mel_filter_bank(
            num_frequency_bins=201,
            num_mel_filters=n_mels,
            min_frequency=0.0,
            max_frequency=8000.0,
            sampling_rate=16000,
            norm="slaney",
            mel_scale="slaney",
        )
        np.testing.assert_allclose(mel_filters(16000, 400, n_mels), expected, atol=1e-9)


def test_an_extractor_without_a_front_end_is_named():
    from transformers import SeamlessM4TFeatureExtractor

    with pytest.raises(ModelError, match="SeamlessM4TFeatureExtractor has no NumPy front end"):
        describe(SeamlessM4TFeatureExtractor())


def test_an_unknown_kind_in_a_folder_is_refused(tmp_path):
    Frontend("new-kind", 16000).save(tmp_path)
    with pytest.raises(ModelError, match="'new-kind' is not one of"):
        load_frontend(tmp_path)
