"""The MLCommons Tiny keyword-spotting TFLite model on real Speech Commands clips, through earmark.load."""

import pytest

import earmark
from earmark import ModelError

from synthetic import shared_path


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("ai_edge_litert")
    path = shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
    return earmark.load(path, threads=1)


def test_real_keywords_are_heard(model):
    assert model.engine == "mlcommons-kws" and "yes" in model.labels and model.window_s == 1.0
    clips = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[:5]
    assert clips, "no Speech Commands clips of 'yes'"
    labels = [p.label for p in model.classify_many(clips)]
    assert labels.count("yes") >= 4, labels


def test_a_tflite_file_of_another_shape_is_refused(tmp_path):
    pytest.importorskip("ai_edge_litert")
    other = shared_path("models", "mlcommons_tiny", "streaming_wakeword", "trained_models", "str_ww_ref_model.tflite")
    with pytest.raises(ModelError, match="not one earmark knows"):
        earmark.load(other)
