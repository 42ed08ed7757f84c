"""The one parsed model reference, given the suffix spellings (the registry passes the engine table's)."""

import pytest

from earmark import ModelError, OptionError
from earmark.options import LoadOptions
from earmark.reference import ModelRef, is_wake_word_list, parse

SUFFIXES = {"onnx": ("onnx", None), "onnx-int8": ("onnx", "int8")}


def test_only_known_suffixes_are_split():
    assert parse("org/m@onnx-int8", SUFFIXES).target == "org/m"
    assert parse("org/m@v2", SUFFIXES).target == "org/m@v2"  # not an engine: part of the name
    assert parse("wake-word/alexa@micro", SUFFIXES).kind == "wake-word"


def test_kinds(tmp_path):
    (tmp_path / "m.tflite").write_bytes(b"")
    kinds = {text: parse(text, SUFFIXES).kind for text in ("birds", "org/m", "birdnet", str(tmp_path), "./gone/x")}
    assert kinds == {"birds": "task", "org/m": "hub", "birdnet": "name", str(tmp_path): "folder", "./gone/x": "folder"}
    assert parse(tmp_path / "m.tflite", SUFFIXES).kind == "file"
    assert is_wake_word_list("wake-word/a, wake-word/b") and not is_wake_word_list("wake-word/a,org/m")


def test_the_suffix_fills_load_options_and_conflicts_are_refused():
    ref = parse("org/m@onnx-int8", SUFFIXES)
    assert ref.options(LoadOptions()) == LoadOptions(engine="onnx", compute_type="int8")
    assert ref.options(LoadOptions(engine="onnx")).compute_type == "int8"
    with pytest.raises(OptionError, match="names engine 'onnx' but engine='ct2' was given"):
        ref.options(LoadOptions(engine="ct2"))


def test_bad_references():
    with pytest.raises(ModelError, match="not a model reference"):
        parse("  ", SUFFIXES)
    with pytest.raises(OptionError, match="name different engines"):
        ModelRef.combine([parse("wake-word/a@onnx", SUFFIXES), parse("wake-word/b", SUFFIXES)])
