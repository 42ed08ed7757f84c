"""A small real corpus for the index tests: 3 ESC-10 classes, 4 clips each, read in place from
../shared/data/esc10 through a manifest (nothing is copied)."""

import shutil
from pathlib import Path

import pytest

from processes import run_earmark
from synthetic import shared_path

CLASSES = ("001 - Dog bark", "002 - Rain", "009 - Rooster")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """A CSV manifest of 12 real clips."""
    esc = shared_path("data", "esc10")
    rows = []
    for cls in CLASSES:
        rows += sorted((esc / cls).glob("*.ogg"))[:4]
    manifest = tmp_path_factory.mktemp("corpus") / "clips.csv"
    manifest.write_text("path\n" + "".join(f"{p}\n" for p in rows))
    return manifest


@pytest.fixture(scope="session")
def esc_index(corpus, tmp_path_factory) -> Path:
    """The corpus embedded once with the birdnet encoder (3 s windows, 1.5 s hop)."""
    db = tmp_path_factory.mktemp("esc-index") / "db"
    run_earmark("embed", str(corpus), "--db", str(db), "--encoder", "birdnet")
    return db


@pytest.fixture
def fresh_index(esc_index, tmp_path) -> Path:
    """A copy of the embedded index that a test may label."""
    copy = tmp_path / "db"
    shutil.copytree(esc_index, copy)
    return copy
