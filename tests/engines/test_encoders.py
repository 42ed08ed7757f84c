"""Frozen encoders: built-in real ones and any transformers audio model, frames and pooled vectors."""

import numpy as np
import pytest

import earmark
from earmark import Audio, ModelError, OptionError
from earmark.engines.encoders import load_encoder, stats_pool
from earmark.io.labelled import LabelledClip
from earmark.training import train_head

from synthetic import noise, tone

CLIP = Audio(np.concatenate([tone(440, 1.0), noise(0.5)]), 16000)


@pytest.mark.parametrize(("kind", "dim"), [("wav2vec2", 32), ("hubert", 32), ("ast", 32), ("whisper", 32)])
def test_transformers_encoders_give_frames(model_dir, kind, dim):
    encoder = load_encoder(str(model_dir(kind)))
    frames = encoder.frames(CLIP)
    assert frames.ndim == 2 and frames.shape[1] == dim and len(frames) > 1
    np.testing.assert_allclose(encoder.embed(CLIP), stats_pool(frames))
    if kind == "whisper":  # 30 s of input, but only the 1.5 s of audio is kept (20 ms frames)
        assert len(frames) == 75


@pytest.mark.parametrize("kind", ["wav2vec2", "ast", "whisper", "clap"])
def test_encoders_on_onnx_give_the_torch_frames(model_dir, kind, tmp_path, monkeypatch):
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path))
    torch_frames = load_encoder(str(model_dir(kind))).frames(CLIP)
    onnx = load_encoder(str(model_dir(kind)), engine="onnx")
    assert onnx.runner.parity["output"] == ("embedding" if kind == "clap" else "hidden")
    frames = onnx.frames(CLIP)
    assert frames.shape == torch_frames.shape
    np.testing.assert_allclose(frames, torch_frames, atol=1e-4 * max(1.0, np.abs(torch_frames).max()))
    int8 = load_encoder(str(model_dir(kind)), engine="onnx", compute_type="int8").frames(CLIP)
    cosine = (int8 * torch_frames).sum(1) / np.linalg.norm(int8, axis=1) / np.linalg.norm(torch_frames, axis=1)
    assert int8.shape == torch_frames.shape and cosine.min() > 0.5


def test_builtin_encoders_refuse_onnx():
    with pytest.raises(OptionError, match="built in"):
        load_encoder("whisper-base", engine="onnx")


def test_clap_audio_tower_gives_one_vector(model_dir):
    frames = load_encoder(str(model_dir("clap"))).frames(CLIP)
    assert frames.shape == (1, 16)


def test_builtin_encoders():
    pytest.importorskip("wyoming_openwakeword")
    pytest.importorskip("ctranslate2")
    oww = load_encoder("openwakeword").frames(CLIP)
    assert oww.shape[1] == 96 and 10 <= len(oww) <= 40  # 80 ms frames over the clip and its padding
    whisper = load_encoder("whisper-base").frames(CLIP)
    assert whisper.shape == (75, 512)


def test_joined_encoders_repeat_the_coarser_frames(model_dir):
    encoder = load_encoder(f"{model_dir('ast')}+{model_dir('whisper')}")
    ast, whisper = (load_encoder(str(model_dir(k))).frames(CLIP) for k in ("ast", "whisper"))
    joined = encoder.frames(CLIP)
    assert joined.shape == (max(len(ast), len(whisper)), 64)
    for part, columns in ((ast, slice(0, 32)), (whisper, slice(32, 64))):
        assert {tuple(row) for row in joined[:, columns]} == {tuple(row) for row in part}


def test_unknown_encoder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError):
        load_encoder(str(tmp_path / "nothing-here"))


def test_head_on_a_transformers_encoder_loads_as_a_model(model_dir, tmp_path):
    pytest.importorskip("sklearn")
    clips = [
        LabelledClip(f"t{i}", "tone", audio={"array": tone(200 + 60 * i), "sampling_rate": 16000}) for i in range(10)
    ]
    clips += [LabelledClip(f"n{i}", "hiss", audio={"array": noise(seed=i), "sampling_rate": 16000}) for i in range(10)]
    report = train_head(clips, tmp_path / "m", encoder=str(model_dir("ast")), head="attention", test_size=0.3)
    assert report.base == str(model_dir("ast").resolve()) and report.accuracy >= 0.8
    model = earmark.load(tmp_path / "m")
    assert model.classify(tone(500), sample_rate=16000).label == "tone"


def test_head_trained_and_run_with_its_encoder_on_onnx(model_dir, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path / "cache"))
    clips = [
        LabelledClip(f"t{i}", "tone", audio={"array": tone(200 + 60 * i), "sampling_rate": 16000}) for i in range(10)
    ]
    clips += [LabelledClip(f"n{i}", "hiss", audio={"array": noise(seed=i), "sampling_rate": 16000}) for i in range(10)]
    encoder = str(model_dir("ast"))
    report = train_head(clips, tmp_path / "m", encoder=encoder, encoder_engine="onnx", head="attention", test_size=0.3)
    assert report.accuracy >= 0.8
    torch_head = earmark.load(tmp_path / "m")
    onnx_head = earmark.load(tmp_path / "m", engine="onnx")
    int8_head = earmark.load(tmp_path / "m", engine="onnx", compute_type="int8")
    assert onnx_head.encoder.runner is not None and onnx_head.identity["encoder_engine"] == "onnx"
    assert int8_head.compute_type == "int8" and torch_head.identity != int8_head.identity
    a = torch_head.classify(tone(500), sample_rate=16000, top_k=None)
    b = onnx_head.classify(tone(500), sample_rate=16000, top_k=None)
    assert a.label == b.label == "tone"
    assert max(abs(x.score - y.score) for x, y in zip(a.scores, b.scores)) < 1e-3
    assert int8_head.classify(tone(500), sample_rate=16000).label == "tone"
