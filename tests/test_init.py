"""The public API: one import line, nothing heavy at import time, one error tree."""

import subprocess
import sys

import earmark
from earmark import errors


def test_all_is_exactly_the_public_names():
    public = {name for name in vars(earmark) if not name.startswith("_")}
    modules = {name for name, value in vars(earmark).items() if type(value).__name__ == "module"}
    assert set(earmark.__all__) == public - modules
    for name in earmark.__all__:
        assert getattr(earmark, name) is not None


def test_import_loads_no_torch_transformers_or_extras():
    heavy = "('torch', 'transformers', 'datasets', 'torchcodec', 'soxr', 'ctranslate2', 'onnxruntime')"
    code = f"import sys, earmark; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_error_tree_matches_builtins():
    assert issubclass(errors.AudioError, ValueError) and issubclass(errors.OptionError, ValueError)
    assert issubclass(errors.LabelError, KeyError) and issubclass(errors.ModelError, OSError)
    assert issubclass(errors.MissingExtraError, ImportError)
    for cls in (errors.AudioError, errors.OptionError, errors.LabelError, errors.ModelError, errors.MissingExtraError):
        assert issubclass(cls, earmark.EarmarkError)
    assert str(errors.LabelError("no label 'x'")) == "no label 'x'"
    assert "pip install 'earmark[mic]'" in str(errors.missing_extra("sounddevice", "mic", "--mic"))
