"""Long files in spans: the table equals an unsplit run row for row at several span lengths (hop <
window included, resampled files included), on two workers too, and a SIGKILL mid-file resumes at the
span with the same table. Also the summary and heatmap of a table."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from earmark.batch import BatchOptions, run_batch
from earmark.batch.inputs import Item
from earmark.batch.summary import plot_hours, read_table, summarize, write_summary
from earmark.options import ClassifyOptions
from earmark.spans import span_count

from processes import kill_when_grown

LENGTHS_S = {"NORTH_20240501_053000.wav": (95.0, 16000), "south-48k.flac": (70.0, 48000), "short.wav": (8.0, 16000)}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    for i, (name, (seconds, rate)) in enumerate(LENGTHS_S.items()):
        t = np.arange(round(seconds * rate)) / rate
        sweep = 0.3 * np.sin(2 * np.pi * (250 + 200 * np.sin(t / (3 + i))) * t)
        noise = 0.05 * np.random.default_rng(i).standard_normal(len(t))
        sf.write(folder / name, (sweep + noise).astype(np.float32), rate, subtype="PCM_16")
    return folder


def options(model_dir, span_s, hop_s=None, **changes):
    classify = ClassifyOptions(top_k=3, window_s=1.0, hop_s=hop_s, merge=hop_s is not None)
    return BatchOptions(model=str(model_dir("ast")), classify=classify, span_s=span_s, **changes)


def table(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def same(a, b, tolerance):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert {k: v for k, v in x.items() if k != "score"} == {k: v for k, v in y.items() if k != "score"}
        assert (x["score"] is None and y["score"] is None) or abs(x["score"] - y["score"]) < tolerance


@pytest.fixture(scope="module", params=[None, 0.4], ids=["hop = window", "hop 0.4 < window"])
def unsplit(request, recordings, model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("unsplit") / "t.jsonl"
    run_batch([str(recordings)], out, options(model_dir, None, request.param))
    return request.param, table(out)


@pytest.mark.parametrize("span_s", [10.0, 17.3, 60.0])
def test_span_tables_equal_the_unsplit_table(unsplit, recordings, model_dir, tmp_path, span_s):
    hop_s, reference = unsplit
    out = tmp_path / "t.jsonl"
    summary = run_batch([str(recordings)], out, options(model_dir, span_s, hop_s))
    assert summary.files == 3 and summary.units == 1 + sum(
        span_count(s, span_s) for s, _ in list(LENGTHS_S.values())[:2]
    )
    assert summary.units > 3
    rows = table(out)
    same(rows, reference, 1e-12)  # scores differ only by the order of float sums
    assert sum(r["level"] == "segment" for r in rows) > 100


def test_two_workers_on_spans_equal_one(unsplit, recordings, model_dir, tmp_path):
    hop_s, reference = unsplit
    out = tmp_path / "t.jsonl"
    run_batch([str(recordings)], out, options(model_dir, 20.0, hop_s, workers=2, chunk=1))
    same(table(out), reference, 1e-12)


@pytest.mark.parametrize("hop_s", [None, 0.4])
def test_killed_mid_file_resumes_at_the_span(recordings, model_dir, tmp_path, hop_s):
    def command(out):
        args = [sys.executable, "-m", "earmark", "batch", str(recordings), "-m", str(model_dir("ast"))]
        args += ["--out", str(out), "-k", "3", "--window-s", "1", "--span-s", "10", "--chunk", "1"]
        return args + (["--hop-s", str(hop_s)] if hop_s else [])

    uninterrupted = subprocess.run(command(tmp_path / "u.jsonl"), capture_output=True, text=True, timeout=600)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    out = tmp_path / "t.jsonl"
    journal = tmp_path / "t.jsonl.parts" / "journal.jsonl"
    assert kill_when_grown(command(out), journal, 4) and not out.exists()
    keys = [k for line in journal.read_text().splitlines()[1:] for k in json.loads(line)["keys"]]
    assert keys and all("#span=" in k for k in keys)  # killed inside the first long file
    finished = subprocess.run(command(out), capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert f"({len(keys)} from an earlier run)" in finished.stderr
    same(table(out), table(tmp_path / "u.jsonl"), 1e-12)  # nothing lost, nothing twice


def test_summary_counts_detections_per_site_and_hour(recordings, model_dir, tmp_path):
    out = tmp_path / "t.jsonl"
    run_batch([str(recordings)], out, options(model_dir, 30.0, timezone="UTC"))
    rows = read_table(out)
    counts = summarize(rows)
    north = [c for c in counts if c.site == "NORTH"]
    assert north and {(c.date, c.hour) for c in north} == {("2024-05-01", 5)}
    segments = [r for r in rows if r["level"] == "segment" and r["path"].endswith("NORTH_20240501_053000.wav")]
    assert sum(c.detections for c in north) == len(segments)  # every kept label of every segment
    undated = [c for c in counts if c.hour is None]
    assert undated and {c.site for c in undated} == {""}  # no start time: counted, not placed in an hour
    write_summary(counts, tmp_path / "s.csv")
    header, *lines = (tmp_path / "s.csv").read_text().splitlines()
    assert header == "site,date,hour,label,detections,max_score" and len(lines) == len(counts)
    plot_hours(counts, tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_batch_summary_and_plot_and_summarize(recordings, model_dir, tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    runner = CliRunner()
    out, summary, plot = tmp_path / "t.parquet", tmp_path / "s.csv", tmp_path / "h.png"
    args = ["batch", str(recordings), "-m", str(model_dir("ast")), "--out", str(out), "--window-s", "1"]
    done = runner.invoke(app, [*args, "--summary", str(summary), "--plot", str(plot)])
    assert done.exit_code == 0, done.output
    assert summary.read_text().startswith("site,date,hour,label,detections,max_score\n")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    again = runner.invoke(app, ["summarize", str(out), "--out", str(tmp_path / "s2.csv")])
    assert again.exit_code == 0 and (tmp_path / "s2.csv").read_text() == summary.read_text()
    bad = runner.invoke(app, ["summarize", str(tmp_path / "table.txt")])
    assert bad.exit_code == 2 and "not a batch table" in bad.output


def test_spans_of_one_file_are_chunked_for_every_worker(recordings):
    from earmark.batch.inputs import chunks_of, split_long

    units = split_long([Item(str(recordings / "NORTH_20240501_053000.wav"))], 10.0)
    assert len(units) == 9  # 95 s in 10 s spans (the last one takes the rest)
    assert [len(c) for c in chunks_of(units, 16, workers=1)] == [9]
    two = chunks_of(units, 16, workers=2)
    assert [len(c) for c in two] == [2, 2, 2, 2, 1] and [u for c in two for u in c] == units
