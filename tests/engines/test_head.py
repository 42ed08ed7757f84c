"""The head engine: a head folder loads on each runtime its row names; the typed head is what runs."""

import json

import numpy as np
import pytest

import earmark
from earmark import ModelError, OptionError
from earmark.engines.head import HeadClassifier, TrainedHead

from synthetic import tone


@pytest.fixture(scope="module")
def head_folder(model_dir, tmp_path_factory):
    from earmark.engines.encoders import load_encoder

    folder = tmp_path_factory.mktemp("head")
    encoder = str(model_dir("wav2vec2"))
    dim = load_encoder(encoder).frames(earmark.Audio(tone(), 16000)).shape[1]
    rng = np.random.default_rng(1)
    head = TrainedHead(
        "logistic",
        ("high", "low"),
        np.zeros(2 * dim, np.float32),
        np.ones(2 * dim, np.float32),
        rng.standard_normal((2, 2 * dim)),
        np.zeros(2),
    )
    head.save(folder)
    (folder / "earmark.json").write_text(json.dumps({"type": "head", "encoder": encoder, "labels": ["high", "low"]}))
    return folder


def test_a_head_folder_loads_and_scores_with_its_head(head_folder):
    model = earmark.load(head_folder)
    assert isinstance(model, HeadClassifier) and model.labels == ("high", "low") and model.engine == "head"
    frames = model.encoder.frames(earmark.Audio(tone(), 16000))
    expected = model.head.logits([frames])[0]
    scores = {s.label: s.score for s in model(tone(), sample_rate=16000, top_k=None, function_to_apply="none").scores}
    np.testing.assert_allclose([scores["high"], scores["low"]], expected, rtol=1e-5)


def test_the_encoder_runs_on_the_runtime_asked_for(head_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path))
    onnx = earmark.load(head_folder, engine="onnx", compute_type="int8")
    assert onnx.identity["encoder_engine"] == "onnx" and onnx.compute_type == "int8"
    assert earmark.load(f"{head_folder}@onnx").identity["encoder_engine"] == "onnx"
    assert earmark.load(head_folder, engine="transformers").identity["encoder_engine"] == "transformers"
    with pytest.raises(OptionError, match="the head engine on transformers engine runs float32"):
        earmark.load(head_folder, engine="transformers", compute_type="int8")


def test_a_broken_head_folder_is_a_model_error(head_folder, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "earmark.json").write_text((head_folder / "earmark.json").read_text())
    with pytest.raises(ModelError, match="not a readable earmark head model"):
        earmark.load(broken)
