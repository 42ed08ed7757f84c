"""earmark export: each model family exported, loaded back and scored on real clips - float32 equal to the
torch model to 1e-4, int8 equal to the onnx engine's int8 -; the manifest's hashes; what cannot be exported
or asked of an export is refused in one line; an export runs in a process where torch and transformers
cannot be imported."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import earmark
from earmark import ModelError, OptionError
from earmark.engines.exported import ExportedClassifier
from earmark.export import export
from earmark.hashing import file_sha256
from earmark.io.decode import load_audio

from synthetic import REPO, shared_path

FAMILIES = [("ast", {}), ("wav2vec2", {}), ("wav2vec2", {"attention_mask": True}), ("whisper", {}), ("clap", {})]
LABELS = ["a dog barking", "rain falling"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("earmark-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EARMARK_CACHE", str(folder))
        yield folder


def real_clips() -> list[np.ndarray]:
    """Two spoken words and a dog bark (5 s), at 16 kHz."""
    words = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[:2]
    bark = sorted(shared_path("data", "esc10", "001 - Dog bark").glob("*.ogg"))[:1]
    return [load_audio(str(p)).mono().resample(16000).samples for p in [*words, *bark]]


def all_scores(model, clips) -> np.ndarray:
    predictions = model.classify_many(clips, sample_rate=16000, top_k=None, function_to_apply="none")
    return np.array([[dict((s.label, s.score) for s in p.scores)[x] for x in model.labels] for p in predictions])


@pytest.mark.parametrize("kind,kwargs", FAMILIES, ids=lambda v: v if isinstance(v, str) else "-".join(v) or "")
@pytest.mark.parametrize("compute_type", ["float32", "int8"])
def test_an_export_scores_as_the_model_does(kind, kwargs, compute_type, model_dir, cache, tmp_path):
    source = model_dir(kind, **kwargs)
    labels = LABELS if kind == "clap" else None
    report = export(source, tmp_path / "out", compute_type=compute_type, labels=labels)
    exported = earmark.load(tmp_path / "out")
    assert isinstance(exported, ExportedClassifier) and exported.engine == "exported"
    assert exported.compute_type == compute_type and report.kind == ("zero-shot" if kind == "clap" else "classifier")
    clips = real_clips()
    got = all_scores(exported, clips)
    if compute_type == "float32":
        np.testing.assert_allclose(got, all_scores(earmark.load(source, labels=labels), clips), atol=1e-4, rtol=0)
        assert report.parity["original_max_abs_diff"] < 1e-4
    else:
        onnx = earmark.load(source, engine="onnx", compute_type="int8", labels=labels)
        np.testing.assert_allclose(got, all_scores(onnx, clips), atol=1e-4, rtol=0)
        assert report.parity["onnx_engine_max_abs_diff"] < 1e-4


def _head(folder, encoder: str, kind: str, dim: int):
    import torch

    from earmark.engines.head import Stopping, TrainedHead, head_networks

    rng = np.random.default_rng(1)
    mean, scale = rng.standard_normal(dim).astype(np.float32), np.full(dim, 2.0, np.float32)
    if kind == "logistic":
        pooled = 2 * dim
        head = TrainedHead(
            kind,
            ("yes", "_other"),
            np.zeros(pooled, np.float32),
            np.ones(pooled, np.float32),
            rng.standard_normal((2, pooled)) * 0.1,
            np.zeros(2),
        )
    else:
        torch.manual_seed(0)
        head = TrainedHead(
            kind,
            ("yes", "_other"),
            mean,
            scale,
            module=head_networks()[kind](dim, 2).eval(),
            stopping=Stopping(3, 3, None, False),
        )
    folder.mkdir()
    head.save(folder)
    config = {"type": "head", "encoder": encoder, "labels": ["yes", "_other"], "detector": "yes", "window_s": 1.0}
    (folder / "earmark.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("encoder,kind", [("wav2vec2", "logistic"), ("wav2vec2", "attention"), ("openwakeword", "mlp")])
def test_a_trained_head_exports_with_its_encoder(encoder, kind, model_dir, cache, tmp_path):
    """A keyword detector's head (logistic, or a torch head run in NumPy) on a transformers encoder (its graph in
    the folder) or on openWakeWord's built-in front end (named; it runs on its own runtime)."""
    name = str(model_dir("wav2vec2")) if encoder == "wav2vec2" else encoder
    dim = 32 if encoder == "wav2vec2" else 96
    folder = _head(tmp_path / "head", name, kind, dim)
    report = export(folder, tmp_path / "out")
    assert ("model.onnx" in report.files) == (encoder == "wav2vec2")
    assert ("head.npz" in report.files) == (kind != "logistic")
    exported, original = earmark.load(tmp_path / "out"), earmark.load(folder)
    assert exported.labels == ("yes",) and exported.multi_label and exported.stream_window_s == 1.0
    clips = real_clips()
    np.testing.assert_allclose(all_scores(exported, clips), all_scores(original, clips), atol=1e-4, rtol=0)


def test_the_manifest_holds_hashes_sizes_and_parity(model_dir, cache, tmp_path):
    report = export(model_dir("ast"), tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "earmark.json").read_text())
    assert manifest["format"] == "earmark-export" and manifest["source"] == str(model_dir("ast"))
    assert set(manifest["files"]) == {"model.onnx", "frontend.json", "mel_filters.npy", "window.npy"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == file_sha256(tmp_path / "out" / name) and report.files[name] == entry["bytes"]
    assert manifest["parity"] == report.parity and manifest["onnx"]["float32_max_abs_diff"] < 1e-3
    assert manifest["labels"] == ["yes", "no", "up", "down"] and manifest["window_s"] == 1.0


def test_what_cannot_be_exported_is_refused(model_dir, cache, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(OptionError, match="exists and is not an empty folder"):
        export(model_dir("ast"), tmp_path / "full")
    with pytest.raises(OptionError, match="wake-word model .* already runs without torch"):
        export("wake-word/alexa", tmp_path / "ww")
    with pytest.raises(OptionError, match="exported with its labels bound; give --labels"):
        export(model_dir("clap"), tmp_path / "clap")
    with pytest.raises(OptionError, match="compute_type='int4' is not allowed"):
        export(model_dir("ast"), tmp_path / "int4", compute_type="int4")
    assert not (tmp_path / "clap").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def ast_export(model_dir, cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports") / "ast"
    export(model_dir("ast"), out)
    return out


def test_what_an_export_cannot_honour_is_refused(ast_export, model_dir, cache, tmp_path):
    with pytest.raises(OptionError, match="was exported in float32; export it again with --compute-type int8"):
        earmark.load(ast_export, compute_type="int8")
    with pytest.raises(OptionError, match="runs on cpu only"):
        earmark.load(ast_export, device="cuda")
    clap = tmp_path / "clap"
    export(model_dir("clap"), clap, labels=LABELS)
    with pytest.raises(OptionError, match="labels are bound at export.*pip install 'earmark\\[transformers\\]'"):
        earmark.load(clap).with_labels(["a cat"])
    with pytest.raises(OptionError, match="labels are bound at export"):
        earmark.load(clap, labels=["a cat"])


def test_a_damaged_export_is_refused(ast_export, tmp_path):
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(ast_export, damaged)
    with open(damaged / "model.onnx", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(ModelError, match="model.onnx is 1000 bytes, the manifest says"):
        earmark.load(damaged)


BLOCKER = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers", "torchcodec"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Blocked())
sys.argv = ["earmark", *sys.argv[1:]]
from earmark.cli import main
main()
"""


def test_an_export_runs_where_torch_and_transformers_cannot_be_imported(ast_export, tmp_path):
    clip = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[0]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    run = subprocess.run(
        [sys.executable, "-c", BLOCKER, "classify", str(clip), "--model", str(ast_export), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert [r["label"] for r in rows] == [r.label for r in earmark.load(ast_export)(str(clip), top_k=None).scores]
    assert run.stderr == ""


def test_the_cli_exports_and_classifies(model_dir, cache, tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["export", str(model_dir("ast")), "--out", str(out), "--compute-type", "int8"])
    assert result.exit_code == 0, result.output
    assert f"-> {out} (classifier, int8" in result.output and "against the onnx engine" in result.output
    clip = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[0]
    result = CliRunner().invoke(app, ["classify", str(clip), "--model", str(out), "--json"])
    assert result.exit_code == 0 and len(json.loads(result.output)) == 4
    again = CliRunner().invoke(app, ["export", str(model_dir("ast")), "--out", str(out)])
    assert again.exit_code == 2 and "exists and is not an empty folder" in again.output
