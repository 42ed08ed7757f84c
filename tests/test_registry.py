"""earmark.load: tasks, directories, Hub ids, and clear errors."""

import json
import shutil
import time

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
