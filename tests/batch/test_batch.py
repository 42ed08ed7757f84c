"""earmark batch: every input kind, every format with the same rows, error rows, SIGKILL at several
points then a rerun equal to an uninterrupted run, a changed option refused, --workers 2 equal to
--workers 1, and a real two-node Ray cluster on this machine."""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from typer.testing import CliRunner

from earmark.batch import COLUMNS, BatchOptions, run_batch
from earmark.cli import app
from earmark.options import ClassifyOptions

from processes import RAY, RAY_ENV, kill_when_grown, ray_cluster

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "sub").mkdir()
    for i in range(30):
        rng = np.random.default_rng(i)
        path = folder / ("sub" if i % 4 == 0 else ".") / f"clip{i:02d}.wav"
        sf.write(path, (0.2 * rng.standard_normal(8000 * (2 + i % 3))).astype(np.float32), 16000)
    (folder / "broken.wav").write_bytes(b"not audio")
    return folder


def read(path):
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    import csv

    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        {
            k: (None if v == "" else float(v) if k in ("start_s", "end_s", "score") else int(v) if k == "rank" else v)
            for k, v in r.items()
        }
        for r in rows
    ]


def same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert {k: x[k] for k in ("path", "level", "rank", "label", "error")} == {
            k: y[k] for k in ("path", "level", "rank", "label", "error")
        }
        for k in ("start_s", "end_s", "score"):
            assert (x[k] is None and y[k] is None) or abs(x[k] - y[k]) < 1e-5


def options(model_dir, **changes):
    return BatchOptions(model=str(model_dir("ast")), classify=ClassifyOptions(top_k=3, window_s=1.0), **changes)


@pytest.fixture(scope="module")
def reference(corpus, model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "table.parquet"
    summary = run_batch([str(corpus)], out, options(model_dir))
    assert summary.files == 31 and summary.errors == 1
    return read(out)


def test_the_table(reference, corpus):
    assert list(reference[0]) == list(COLUMNS)
    broken = [r for r in reference if r["path"].endswith("broken.wav")]
    assert len(broken) == 1 and broken[0]["error"] and broken[0]["label"] is None and broken[0]["score"] is None
    files = [r for r in reference if r["level"] == "file" and r["rank"] == 1]
    assert len(files) == 30 and all(r["end_s"] > 0 for r in files)
    segments = [r for r in reference if r["level"] == "segment"]
    assert segments and all(1 <= r["rank"] <= 3 for r in segments)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_every_format_has_the_same_rows(reference, corpus, model_dir, tmp_path, suffix):
    out = tmp_path / f"table{suffix}"
    run_batch([str(corpus)], out, options(model_dir))
    same(read(out), reference)
    meta = json.loads((tmp_path / f"table{suffix}.meta.json").read_text())
    assert meta["settings"]["model"] == str(model_dir("ast"))


def test_every_input_kind(corpus, model_dir, tmp_path):
    files = sorted(str(p) for p in corpus.rglob("*.wav"))
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{p},x\n" for p in files[:3]))
    (tmp_path / "m.jsonl").write_text("".join(json.dumps({"path": p}) + "\n" for p in files[3:5]))
    inputs = [files[5], str(corpus / "sub" / "*.wav"), str(tmp_path / "m.csv"), str(tmp_path / "m.jsonl")]
    out = tmp_path / "t.jsonl"
    run_batch(inputs, out, options(model_dir))
    paths = {r["path"] for r in read(out)}
    assert {files[5], *files[:5]} <= paths and all(p in paths for p in map(str, (corpus / "sub").glob("*.wav")))
    hf_out = tmp_path / "hf.jsonl"
    audiofolder = tmp_path / "af"
    shutil.copytree(corpus / "sub", audiofolder / "train" / "a")
    run_batch([f"hf:audiofolder:{audiofolder}"], hf_out, options(model_dir))
    assert len({r["path"] for r in read(hf_out)}) == len(list((corpus / "sub").glob("*.wav")))


def test_a_changed_option_refuses_the_old_journal(corpus, model_dir, tmp_path):
    out = tmp_path / "t.parquet"
    run_batch([str(corpus)], out, options(model_dir))
    changed = BatchOptions(model=str(model_dir("ast")), classify=ClassifyOptions(top_k=2, window_s=1.0))
    with pytest.raises(Exception, match=r"other settings \(changed: options\).*--restart"):
        run_batch([str(corpus)], out, changed)
    run_batch([str(corpus)], out, BatchOptions(**{**changed.__dict__, "restart": True}))
    assert max(r["rank"] for r in read(out) if r["rank"]) == 2


def batch_args(corpus, model_dir, out, *extra):
    return ["batch", str(corpus), "-m", str(model_dir("ast")), "--out", str(out), "-k", "3", "--window-s", "1", *extra]


def test_workers_2_equal_workers_1(reference, corpus, model_dir, tmp_path):
    out = tmp_path / "t.parquet"
    result = runner.invoke(app, batch_args(corpus, model_dir, out, "--workers", "2", "--chunk", "4"))
    assert result.exit_code == 2  # the broken file: an error row, and exit 2 at the end
    same(read(out), reference)


def test_killed_with_sigkill_at_several_points_then_rerun_equals_an_uninterrupted_run(
    reference, corpus, model_dir, tmp_path
):
    out = tmp_path / "t.parquet"
    command = [sys.executable, "-m", "earmark", *batch_args(corpus, model_dir, out, "--chunk", "3")]
    journal = tmp_path / "t.parquet.parts" / "journal.jsonl"
    kills = sum(kill_when_grown(command, journal, 2) for _ in range(3))
    assert kills == 3 and not out.exists()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 2 and "from an earlier run" in finished.stderr
    same(read(out), reference)  # nothing lost, nothing twice
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "31 files in 31 units (31 from an earlier run)" in again.stderr  # a finished job is not redone


def test_exports(corpus, model_dir, tmp_path):
    out = tmp_path / "t.parquet"
    run_batch([str(corpus)], out, options(model_dir, export="raven"))
    tables = sorted((tmp_path / "t.raven").glob("*.selection.table.txt"))
    assert len(tables) == 30 and tables[0].read_text().startswith("Selection\tView\tChannel\tBegin Time (s)")
    run_batch([str(corpus)], out, options(model_dir, export="audacity"))
    labels = (tmp_path / "t.audacity" / "clip00.txt").read_text().splitlines()
    assert labels and len(labels[0].split("\t")) == 3


@pytest.mark.skipif(not os.path.exists(RAY), reason="ray is not installed (pip install 'earmark[ray]')")
def test_a_real_two_node_ray_cluster(reference, corpus, model_dir, tmp_path):
    with ray_cluster() as address:
        out = tmp_path / "ray.parquet"
        extra = ["--ray", "--address", address, "--workers", "2", "--chunk", "4"]
        args = batch_args(corpus, model_dir, out, *extra)
        result = subprocess.run(
            [sys.executable, "-m", "earmark", *args], capture_output=True, text=True, timeout=600, env=RAY_ENV
        )
        assert result.returncode == 2, result.stderr[-3000:]
        same(read(out), reference)


def test_rows_say_when_and_where(model_dir, tmp_path):
    (tmp_path / "north").mkdir()
    named = tmp_path / "north" / "NORTH_20240501_053000.wav"
    sf.write(named, (0.2 * np.random.default_rng(0).standard_normal(16000 * 3)).astype(np.float32), 16000)
    sf.write(tmp_path / "north" / "undated.wav", np.zeros(16000, np.float32), 16000)
    table = tmp_path / "recordings.csv"
    table.write_text(f"path,site,lat,lon\n{tmp_path / 'north'},,60.1,24.9\n")
    out = tmp_path / "t.jsonl"
    args = ["batch", str(tmp_path / "north"), "-m", str(model_dir("ast")), "--out", str(out), "--window-s", "1"]
    result = runner.invoke(app, [*args, "--recordings", str(table), "--timezone", "Europe/Helsinki"])
    assert result.exit_code == 0, result.output
    rows = read(out)
    dated = [r for r in rows if r["path"] == str(named) and r["rank"] == 1]
    # 05:30 in Helsinki (EEST, UTC+3) is 02:30 UTC; each row carries its own start
    start = datetime(2024, 5, 1, 2, 30, tzinfo=timezone.utc)
    assert len(dated) >= 2 and {r["level"] for r in dated} == {"file", "segment"}
    for r in dated:
        assert r["recorded_at"] == (start + timedelta(seconds=r["start_s"])).isoformat(timespec="milliseconds")
    assert {(r["site"], r["lat"], r["lon"]) for r in dated} == {("NORTH", 60.1, 24.9)}
    result = runner.invoke(
        app, [*args, "--out", str(tmp_path / "t2.jsonl"), "--timezone", "Europe/Helsinki", "--export", "raven"]
    )
    assert result.exit_code == 0, result.output
    raven = (tmp_path / "t2.raven" / "NORTH_20240501_053000.selection.table.txt").read_text().splitlines()
    assert raven[0].endswith("\tBegin Date Time") and raven[1].endswith("\t2024/05/01 02:30:00.000")
    undated = [r for r in rows if r["path"].endswith("undated.wav")]
    assert {r["recorded_at"] for r in undated} == {None} and {r["lat"] for r in undated} == {60.1}
