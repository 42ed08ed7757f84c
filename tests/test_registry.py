"""earmark.load: tasks, directories, Hub ids, and clear errors."""

import json
import shutil
import time

import numpy as np
import pytest

import earmark
from earmark import ModelError, OptionError
from earmark.engines.clap import ZeroShotClassifier
from earmark.engines.transformers import TransformersClassifier


def test_loads_each_kind_of_directory(model_dir):
    assert isinstance(earmark.load(model_dir("ast")), TransformersClassifier)
    clap = earmark.load(model_dir("clap"), labels="dog, cat", template="A {} sound")
    assert isinstance(clap, ZeroShotClassifier) and clap.labels == ("dog", "cat") and clap.template == "A {} sound"


def test_task_name_resolves_to_its_default_model_and_fails_fast_offline():
    started = time.monotonic()
    with pytest.raises(ModelError, match="MIT/ast-finetuned-speech-commands-v2.*hf download") as info:
        earmark.load("keyword-spotting")
    assert time.monotonic() - started < 10
    assert isinstance(info.value, OSError) and "\n" not in str(info.value)


def test_unknown_hub_id_lists_the_tasks():
    with pytest.raises(ModelError, match="tasks: audio-classification"):
        earmark.load("nobody/no-such-model")


def test_missing_directory():
    with pytest.raises(ModelError, match="no such directory"):
        earmark.load("./models/not/here")


def test_not_an_audio_classifier(tmp_path):
    from transformers import BertConfig

    BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8).save_pretrained(tmp_path)
    with pytest.raises(ModelError, match="'bert' model, not an audio classifier"):
        earmark.load(tmp_path)


def test_labels_only_for_zero_shot(model_dir):
    with pytest.raises(OptionError, match="only for zero-shot"):
        earmark.load(model_dir("ast"), labels=["a"])


def test_directory_without_feature_extractor(model_dir, tmp_path):
    target = tmp_path / "no-extractor"
    shutil.copytree(model_dir("ast"), target)
    (target / "preprocessor_config.json").unlink()
    with pytest.raises(ModelError, match="could not load its feature extractor"):
        earmark.load(target)


def test_remote_code_is_never_trusted_implicitly(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": "mystery", "auto_map": {"AutoConfig": "configuration_mystery.MysteryConfig"}})
    )
    with pytest.raises(ModelError, match="trust_remote_code=True"):
        earmark.load(tmp_path)


def test_engine_table_order_and_names():
    from earmark.registry import engines

    names = [e.name for e in engines()]
    assert names[:4] == ["head", "wake-word", "mlcommons-kws", "ct2"] and names[-1] == "transformers"


def test_an_unknown_engine_name_lists_the_engines(model_dir):
    with pytest.raises(OptionError, match=r"engine='onnxx' is not allowed; use one of \('auto', 'head'"):
        earmark.load(model_dir("ast"), engine="onnxx")


def test_a_named_engine_must_take_the_model(model_dir):
    with pytest.raises(ModelError, match="the ct2 engine .* does not take"):
        earmark.load(model_dir("ast"), engine="ct2")
    assert isinstance(earmark.load(model_dir("ast"), engine="transformers"), TransformersClassifier)


PLUGIN = """
import numpy as np
from earmark.classifier import Classifier
from earmark.registry import Engine


class Beeper(Classifier):
    engine = "beeper"
    sample_rate = 8000
    labels = ("beep", "silence")

    def __init__(self, name):
        self.name = name

    def forward(self, clips):
        return np.array([[np.abs(c).mean() * 100, 1.0] for c in clips], np.float32)


def load(ref, options):
    return Beeper(ref)


ENGINE = Engine("beeper", lambda ref: ref.startswith("beeper:"), "earmark_beeper:load", "a plugin engine")
"""


def test_a_third_party_engine_registers_through_an_entry_point(tmp_path, monkeypatch):
    """A package on sys.path with an ``earmark.engines`` entry point (its dist-info, as pip writes it)."""
    (tmp_path / "earmark_beeper.py").write_text(PLUGIN)
    info = tmp_path / "earmark_beeper-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: earmark-beeper\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[earmark.engines]\nbeeper = earmark_beeper:ENGINE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from earmark.registry import engines

    assert [e.name for e in engines()][-3:] == ["beeper", "onnx", "transformers"]  # before the catch-all
    classifier = earmark.load("beeper:one", engine="auto")
    assert classifier.engine == "beeper" and classifier.name == "beeper:one"
    loud = np.full(8000, 0.5, np.float32)
    assert classifier(loud, sample_rate=8000).label == "beep"
    assert classifier(np.zeros(8000, np.float32), sample_rate=8000).label == "silence"


def test_a_broken_entry_point_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[earmark.engines]\nbroken = no_such_module:ENGINE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from earmark.registry import engines

    assert "broken" not in [e.name for e in engines()]
    assert "could not be loaded" in caplog.text


def test_what_callers_need_is_on_the_interface(model_dir, loaded):
    ast, clap = loaded("ast"), earmark.load(model_dir("clap"))
    assert ast.engine == "transformers" and ast.size_bytes == sum(
        p.numel() * p.element_size() for p in ast.model.parameters()
    )
    assert ast.labels_bound and not ast.zero_shot
    assert clap.zero_shot and not clap.labels_bound and clap.with_labels(["a", "b"]).labels_bound
    with pytest.raises(OptionError, match="fixed labels"):
        ast.with_labels(["a"])
    (scorer,) = ast.frame_scorers(hop_s=0.25)
    assert scorer.frame_s == 0.25 and scorer.context_s == ast.window_s and scorer.labels == ast.labels
