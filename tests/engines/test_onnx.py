"""The onnx engine on tiny random models: float32 equals torch, int8 agrees where the answer is clear,
one export per model shared through earmark's cache, safe under two processes at once."""

import json
import subprocess
import sys

import numpy as np
import pytest

import earmark
from earmark import OptionError

ARCHITECTURES = [("ast", {}), ("wav2vec2", {}), ("wav2vec2", {"attention_mask": True}), ("hubert", {}), ("whisper", {})]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("earmark-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EARMARK_CACHE", str(folder))
        yield folder


def clips():
    rng = np.random.default_rng(3)
    return [(0.3 * rng.standard_normal(n)).astype(np.float32) for n in (16000, 9000, 24000, 16000)]


def scores(prediction):
    return {s.label: s.score for s in prediction.scores}


def assert_scores_equal(onnx_model, torch_model):
    """float32 parity at export, and the same scores (to 1e-4) on every test clip."""
    assert onnx_model.parity["float32_max_abs_diff"] < 1e-3
    for ours, theirs in zip(
        onnx_model.classify_many(clips(), sample_rate=16000, top_k=None),
        torch_model.classify_many(clips(), sample_rate=16000, top_k=None),
    ):
        a, b = scores(ours), scores(theirs)
        assert max(abs(a[label] - b[label]) for label in b) < 1e-4


@pytest.mark.parametrize(("kind", "extra"), ARCHITECTURES, ids=lambda v: str(v))
def test_float32_scores_equal_torch(kind, extra, cache, model_dir):
    folder = model_dir(kind, **extra)
    torch_model = earmark.load(folder)
    onnx_model = earmark.load(folder, engine="onnx")
    assert onnx_model.engine == "onnx" and onnx_model.labels == torch_model.labels
    assert_scores_equal(onnx_model, torch_model)


@pytest.mark.parametrize("kind", ["ast", "wav2vec2"])
def test_int8_agrees_on_a_clear_cut_input(kind, cache, model_dir):
    folder = model_dir(kind)
    torch_model, int8 = earmark.load(folder), earmark.load(folder, engine="onnx", compute_type="int8")
    assert int8.parity["int8_top1_agreement"] >= 0.5 and "int8_max_abs_diff" in int8.parity
    rng = np.random.default_rng(0)
    candidates = [np.clip(0.3 * rng.standard_normal(16000), -1, 1).astype(np.float32) for _ in range(12)]
    predictions = torch_model.classify_many(candidates, sample_rate=16000, top_k=None)
    margins = [p.scores[0].score - p.scores[1].score for p in predictions]
    clear = int(np.argmax(margins))  # the input torch is surest about
    assert int8.classify(candidates[clear], sample_rate=16000).label == predictions[clear].label


def test_the_export_is_cached_and_reused(cache, model_dir, caplog):
    folder = model_dir("hubert")
    earmark.load(folder, engine="onnx")
    with caplog.at_level("INFO", logger="earmark"):
        second = earmark.load(folder, engine="onnx")
    assert "reusing ONNX model" in caplog.text and "exported" not in caplog.text
    assert (second.folder / "parity.json").is_file() and second.folder.parent == cache / "onnx"
    assert not [p for p in (cache / "onnx").iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_two_processes_exporting_at_once_share_one_copy(model_dir, tmp_path):
    folder = model_dir("wav2vec2")
    script = (
        "import sys, numpy as np, earmark;"
        f"m = earmark.load({str(folder)!r}, engine='onnx');"
        "print(m.folder, m.classify(np.zeros(16000, np.float32), sample_rate=16000).label)"
    )
    env = {**__import__("os").environ, "EARMARK_CACHE": str(tmp_path)}
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0].decode().split() for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert outputs[0] == outputs[1]  # the same folder, the same answer
    entries = list((tmp_path / "onnx").iterdir())
    assert len(entries) == 1 and json.loads((entries[0] / "parity.json").read_text())["compute_type"] == "float32"


def test_bad_onnx_options(model_dir, cache):
    with pytest.raises(OptionError, match="compute_type='float16': the onnx engine runs float32 or int8"):
        earmark.load(model_dir("ast"), engine="onnx", compute_type="float16")
    with pytest.raises(OptionError, match="only for zero-shot"):
        earmark.load(model_dir("ast"), engine="onnx", labels=["a", "b"])


def test_compare_one_model_across_engines(cache, model_dir, tmp_path):
    import soundfile as sf
    from typer.testing import CliRunner

    from earmark.cli import app

    for label in ("yes", "no"):
        (tmp_path / label).mkdir()
        for i in range(3):
            sf.write(tmp_path / label / f"{i}.wav", clips()[i % 4] * (0.5 + i / 10), 16000)
    model = str(model_dir("ast"))
    report = tmp_path / "report.json"
    args = ["compare", str(tmp_path), "-m", model, "-m", f"{model}@onnx-int8", "--report", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(report.read_text())
    assert sorted((r["engine"], r["compute_type"]) for r in rows) == [("onnx", "int8"), ("transformers", "float32")]
    assert all(r["size_bytes"] for r in rows) and "onnx int8" in result.stdout


def test_clap_audio_tower_on_onnx_scores_like_torch(cache, model_dir):
    folder = model_dir("clap")
    labels = ["a dog barking", "rain", "a bell"]
    torch_model = earmark.load(folder, labels=labels)
    onnx_model = earmark.load(folder, engine="onnx", labels=labels)
    assert onnx_model.engine == "onnx" and onnx_model.zero_shot and onnx_model.parity["output"] == "embedding"
    assert_scores_equal(onnx_model, torch_model)
    other = onnx_model.with_labels(["wind", "a car"])  # new labels keep the exported tower
    assert other.runner is onnx_model.runner and other.labels == ("wind", "a car")
    int8 = earmark.load(folder, engine="onnx", compute_type="int8", labels=labels)
    assert int8.parity["int8_min_cosine"] > 0.5 and len(int8.classify(clips()[0], sample_rate=16000).scores) == 3
