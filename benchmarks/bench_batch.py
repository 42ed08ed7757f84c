"""`earmark batch` on a corpus built from ../shared/data, against a plain Python loop over
transformers.pipeline (what users write today): files/s and x real time for the loop, --workers 1,
--workers 2, --ray with 1 and 2 workers; parallel efficiency; the cost of a 1,000,000-file corpus.

The corpus: 2,000 files of 1-4 s (lengths uniform, about 1.4 hours), made by repeating and mixing
the shared Speech Commands, ESC-10 and FSDD clips (each file a different mix: clip + a second clip at
-12 dB + noise). The model: wav2vec2-base architecture, random weights (no checkpoint can be
downloaded here). earmark runs on the ONNX Runtime int8 engine (``--engine onnx --compute-type
int8``, exported once before the timed runs) and, for reference, once on torch; every earmark time is
the whole command (process start, model load, decoding, writing the table).

    .venv/bin/python benchmarks/bench_batch.py [--files 2000] [--min-s 1] [--max-s 4] [--loop-files 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RATE = 16000


def make_corpus(folder: Path, count: int, shortest: float, longest: float) -> tuple[list[str], float]:
    import soxr

    sources = [
        *sorted((SHARED / "speech_commands").rglob("*.wav")),
        *sorted((SHARED / "esc10").rglob("*.ogg")),
        *sorted((SHARED / "fsdd").rglob("*.wav"))[::10],
    ]
    if len(sources) < 100:
        raise SystemExit("needs ../shared/data (speech_commands, esc10, fsdd)")
    decoded = []
    for path in sources:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        decoded.append(soxr.resample(data.mean(axis=1), rate, RATE).astype(np.float32))
    rng = np.random.default_rng(0)
    paths, seconds = [], 0.0
    for i in range(count):
        a, b = decoded[int(rng.integers(len(decoded)))], decoded[int(rng.integers(len(decoded)))]
        length = int(rng.uniform(shortest, longest) * RATE)
        mix = np.resize(a, length) + 0.25 * np.resize(b, length) + 0.01 * rng.standard_normal(length)
        path = folder / f"{i // 500:02d}" / f"mix{i:05d}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, np.clip(mix, -1, 1), RATE)
        paths.append(str(path))
        seconds += length / RATE
    return paths, seconds


def run_cli(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "earmark", "batch", *args], check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--loop-files", type=int, default=300, help="files the (slow) pipeline loop is timed on")
    parser.add_argument("--min-s", type=float, default=1.0, help="shortest file")
    parser.add_argument("--max-s", type=float, default=4.0, help="longest file")
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_classify import build

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths, seconds = make_corpus(tmp / "corpus", args.files, args.min_s, args.max_s)
        model = build("wav2vec2", tmp)
        print(
            f"corpus: {len(paths)} files of {args.min_s:g}-{args.max_s:g} s, {seconds / 3600:.2f} h of audio; "
            "model: wav2vec2-base (random weights)",
            flush=True,
        )
        os.environ["EARMARK_CACHE"] = str(tmp / "cache")
        import earmark

        earmark.load(model, engine="onnx", compute_type="int8")  # the one export, before any timed run
        import transformers

        classify = transformers.pipeline("audio-classification", model=model, device="cpu")
        subset = paths[: args.loop_files]
        subset_s = sum(sf.info(p).duration for p in subset)
        classify(subset[0])
        started = time.perf_counter()
        for path in subset:
            classify(path)
        loop = time.perf_counter() - started
        loop_rate = len(subset) / loop
        print(f"pipeline loop ({len(subset)} files): {loop_rate:.2f} files/s, {subset_s / loop:.1f}x real time")
        common = [str(tmp / "corpus"), "-m", model, "-k", "3"]
        int8 = ["--engine", "onnx", "--compute-type", "int8"]
        runs = {
            "--workers 1 (torch)": ["--workers", "1"],
            "--workers 1": ["--workers", "1", *int8],
            "--workers 1 --threads 1": ["--workers", "1", "--threads", "1", *int8],
            "--workers 2": ["--workers", "2", *int8],
        }
        if not args.no_ray:
            runs |= {
                "--ray --workers 1": ["--ray", "--workers", "1", "--cpus-per-worker", "2", *int8],
                "--ray --workers 2": ["--ray", "--workers", "2", "--cpus-per-worker", "1", *int8],
            }
        rates = {}
        for name, extra in runs.items():
            out = tmp / f"{abs(hash(name))}.parquet"
            wall = run_cli([*common, "--out", str(out), *extra])
            rates[name] = len(paths) / wall
            print(
                f"earmark batch {name:24s}: {rates[name]:6.2f} files/s, {seconds / wall:6.1f}x real time, "
                f"{rates[name] / loop_rate:.2f}x the pipeline loop ({wall:.0f} s)",
                flush=True,
            )
        cores = os.cpu_count() or 1
        efficiency = rates["--workers 2"] / (2 * rates["--workers 1 --threads 1"])
        print(f"parallel efficiency, 2 workers x 1 thread vs 1 worker x 1 thread on {cores} cores: {efficiency:.2f}")
        if "--ray --workers 2" in rates:
            print(f"Ray vs local processes (2 workers): {rates['--ray --workers 2'] / rates['--workers 2']:.2f}")
        per_file = 1 / rates["--workers 2"] * cores  # core-seconds per file
        print(
            f"a 1,000,000-file corpus of such files: {per_file:.2f} core-s per file -> "
            f"{1e6 * per_file / 3600:.0f} core-hours; on N 16-core Ray nodes ~{1e6 * per_file / 3600 / 16:.0f}/N hours"
        )


if __name__ == "__main__":
    main()
