"""The package as users get it: ``python -m build`` makes a wheel and an sdist; the wheel installed with no
extras into a clean virtual environment (no system site-packages) classifies with an exported model, where
torch and transformers cannot be imported, and a model that needs them is refused naming the extra."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import earmark
from earmark.export import export

from synthetic import REPO, shared_path

CORE = {"numpy", "soundfile", "soxr", "onnxruntime", "typer", "rich"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)]
    subprocess.run(build, check=True, capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def clean(dist, tmp_path_factory):
    """A virtual environment with only the wheel and its core dependencies (from the package index)."""
    where = tmp_path_factory.mktemp("clean") / "venv"
    venv.create(where, with_pip=True, system_site_packages=False)
    wheel = next(dist.glob("earmark-*.whl"))
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=900, env=_env())
    return where


def _env() -> dict:
    """The test process's environment without its virtual environment or source path leaking in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return env | {"PYTHONNOUSERSITE": "1"}


def _run(clean: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(clean / "bin" / args[0]), *args[1:]], capture_output=True, text=True, timeout=300, env=_env()
    )


def test_build_makes_a_wheel_and_an_sdist(dist):
    assert len(list(dist.glob("earmark-*.whl"))) == 1 and len(list(dist.glob("earmark-*.tar.gz"))) == 1


def test_the_core_install_has_only_the_core_dependencies(clean):
    listed = _run(clean, "python", "-m", "pip", "list", "--format=json")
    names = {p["name"].lower().replace("-", "_") for p in json.loads(listed.stdout)}
    assert {n.replace("-", "_") for n in CORE} <= names
    assert not names & {"torch", "transformers", "huggingface_hub", "scikit_learn", "scipy", "pyarrow"}
    probe = _run(clean, "python", "-c", "import torch")
    assert probe.returncode != 0 and "No module named 'torch'" in probe.stderr


def test_an_exported_model_classifies_in_the_clean_environment(clean, model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path / "cache"))
    folder = export(model_dir("ast"), tmp_path / "ast", compute_type="int8").folder
    clip = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[0]
    run = _run(clean, "earmark", "classify", str(clip), "--model", str(folder), "--json", "--top-k", "4")
    assert run.returncode == 0, run.stderr
    got = [(r["label"], round(r["score"], 5)) for r in json.loads(run.stdout)]
    expected = [(s.label, round(s.score, 5)) for s in earmark.load(folder)(str(clip), top_k=4).scores]
    assert got == expected


def test_a_model_that_needs_torch_names_the_extra(clean, model_dir):
    run = _run(clean, "earmark", "classify", "x.wav", "--model", str(model_dir("ast")))
    assert run.returncode == 2 and "pip install 'earmark[transformers]'" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    help_run = _run(clean, "earmark", "--help")
    assert help_run.returncode == 0 and "export" in help_run.stdout
