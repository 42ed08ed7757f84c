"""Deploying without torch: install size and cold start (process start -> first JSON line), same run.

Builds the wheel, installs it into two clean virtual environments - the core install (no extras) and the
core + ``[whisper]`` (with ``silero-vad --no-deps``) - and measures with Debian's ``hyperfine`` (medians of
``--runs``, one warm-up run each so the page cache is warm for every command alike):

1. a wav2vec2-base-architecture classifier (95 M parameters, random weights: this machine cannot download
   the Hub checkpoint) on a 1 s clip: ``earmark classify --model EXPORTED`` on the core install (int8 and
   float32 exports), the same on the full install, and ``transformers.pipeline`` in a fresh process;
2. offline language ID on a 3 s clip: ``earmark classify --task language-id`` (core + whisper, and full)
   against faster-whisper's ``detect_language`` on the same CTranslate2 weights, both float32;
3. throughput in one process: the exported int8 folder against the onnx engine's int8 on the same clips;
4. the size on disk of each environment's site-packages.

    .venv/bin/python benchmarks/bench_cold_start.py [--runs 10] [--work /tmp/earmark-cold] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_classify import build  # noqa: E402

from timing import median_time  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def environment(where: Path, wheel: Path, extra: str = "") -> Path:
    """A clean virtual environment with the wheel (and an extra) installed, made once."""
    if not (where / "bin" / "earmark").exists():
        venv.create(where, with_pip=True, system_site_packages=False)
        pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, f"{wheel}{extra}"], check=True)
        if extra:
            subprocess.run([*pip, "--no-deps", "silero-vad>=5"], check=True)
    return where


def site_mb(env: Path) -> float:
    site = next((env / "lib").glob("python3*/site-packages"))
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6


def hyperfine(commands: dict[str, str], runs: int, out: Path) -> dict[str, float]:
    """Median seconds of each command (hyperfine, one warm-up run)."""
    args = ["hyperfine", "-N", "--runs", str(runs), "--warmup", "1", "--export-json", str(out), "--style", "basic"]
    for name, command in commands.items():
        args += ["--command-name", name, command]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    return {r["command"]: float(np.median(r["times"])) for r in json.loads(out.read_text())["results"]}


def prepare(work: Path) -> dict[str, Path]:
    """The model, its two exports, the clips and the wheel."""
    from earmark.export import export

    os.environ["EARMARK_CACHE"] = str(work / "cache")
    paths = {
        "source": Path(build("wav2vec2", work / "models"))
        if not (work / "models" / "wav2vec2").exists()
        else work / "models" / "wav2vec2"
    }
    for compute_type in ("int8", "float32"):
        paths[compute_type] = work / f"export-{compute_type}"
        if not paths[compute_type].exists():
            export(paths["source"], paths[compute_type], compute_type=compute_type)
    paths["word"] = sorted((DATA / "speech_commands" / "yes").glob("*.wav"))[0]
    german, rate = sf.read(DATA / "multilingual" / "picovoice_bat_samples" / "test_de.wav", dtype="float32")
    paths["speech"] = work / "de-3s.wav"
    sf.write(paths["speech"], german[: 3 * rate], rate)
    dist = work / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    build_cmd = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(REPO)]
    subprocess.run(build_cmd, check=True, stdout=subprocess.DEVNULL)
    paths["wheel"] = next(dist.glob("earmark-*.whl"))
    return paths


def cold_starts(paths: dict[str, Path], core: Path, whisper: Path, runs: int, work: Path) -> dict[str, float]:
    from earmark.engines.whisper.weights import whisper_base_ct2

    full = Path(sys.executable).parent
    word, speech = paths["word"], paths["speech"]
    pipeline = (
        "import soundfile as sf; from transformers import pipeline; "
        f"x, r = sf.read('{word}', dtype='float32'); "
        f"print(pipeline('audio-classification', model='{paths['source']}')({{'raw': x, 'sampling_rate': r}})[:1])"
    )
    detect = (
        "import soundfile as sf; from faster_whisper import WhisperModel; "
        f"m = WhisperModel('{whisper_base_ct2()}', device='cpu', compute_type='float32'); "
        f"x, _ = sf.read('{speech}', dtype='float32'); print(m.detect_language(x)[0])"
    )
    commands = {
        "core: exported int8": f"{core}/bin/earmark classify {word} --model {paths['int8']} --json",
        "core: exported float32": f"{core}/bin/earmark classify {word} --model {paths['float32']} --json",
        "full: exported int8": f"{full}/earmark classify {word} --model {paths['int8']} --json",
        "full: transformers.pipeline": f'{full}/python -c "{pipeline}"',
        "core+whisper: language-id": f"{whisper}/bin/earmark classify {speech} --task language-id --json",
        "full: language-id": f"{full}/earmark classify {speech} --task language-id --json",
        "full: faster-whisper detect_language": f'{full}/python -c "{detect}"',
    }
    return hyperfine(commands, runs, work / "hyperfine.json")


def throughput(paths: dict[str, Path], runs: int) -> dict[str, float]:
    """Clips per second in one process: the exported int8 folder and the onnx engine's int8, same clips."""
    import earmark

    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.standard_normal(16000)).astype(np.float32) for _ in range(16)]
    out = {}
    for name, model in (
        ("exported int8", earmark.load(paths["int8"])),
        ("onnx engine int8", earmark.load(paths["source"], engine="onnx", compute_type="int8")),
    ):
        model.classify_many(clips[:2], sample_rate=16000)
        seconds, _ = median_time(lambda m=model: m.classify_many(clips, sample_rate=16000), runs)
        out[name] = len(clips) / seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("/tmp/earmark-cold"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    paths = prepare(args.work)
    core = environment(args.work / "core", paths["wheel"])
    whisper = environment(args.work / "core-whisper", paths["wheel"], "[whisper]")
    sizes = {"core": site_mb(core), "core+whisper": site_mb(whisper), "full (.venv)": site_mb(Path(sys.prefix))}
    print("install size (site-packages, MB):", "  ".join(f"{k} {v:.0f}" for k, v in sizes.items()))
    print(f"  core / full: {sizes['core'] / sizes['full (.venv)']:.3f}")
    times = cold_starts(paths, core, whisper, args.runs, args.work)
    print(f"cold start, medians of {args.runs} (s):")
    for name, seconds in times.items():
        print(f"  {name:40s} {seconds:6.3f}")
    pipe = times["full: transformers.pipeline"]
    print(f"  core exported int8 / transformers.pipeline: {times['core: exported int8'] / pipe:.3f}")
    print(f"  core exported float32 / transformers.pipeline: {times['core: exported float32'] / pipe:.3f}")
    fw = times["full: faster-whisper detect_language"]
    print(f"  core+whisper language-id / faster-whisper: {times['core+whisper: language-id'] / fw:.3f}")
    print(f"  full language-id / faster-whisper: {times['full: language-id'] / fw:.3f}")
    rates = throughput(paths, max(3, args.runs // 2))
    print("throughput (clips/s, 16 x 1 s):", "  ".join(f"{k} {v:.1f}" for k, v in rates.items()))
    print(f"  exported / onnx engine: {rates['exported int8'] / rates['onnx engine int8']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"sizes_mb": sizes, "cold_start_s": times, "throughput": rates}, indent=2))


if __name__ == "__main__":
    main()
