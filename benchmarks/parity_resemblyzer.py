"""earmark's ``speaker`` encoder (GE2E in NumPy) vs resemblyzer's own ``VoiceEncoder`` (torch, in a throw-away
virtualenv with librosa and webrtcvad), on the same 16 kHz audio, in the same run: the cosine similarity and the
largest difference of the utterance embeddings, and the speed of both (x real time, model load excluded).

Clips: the shared FSDD recordings (``--limit`` of them) and Speech Commands words, resampled to 16 kHz by earmark
and written as float WAV, so both sides read identical samples; both raise the volume to -30 dBFS
(resemblyzer's ``normalize_volume(increase_only=True)``) and neither trims silences.

    .venv/bin/python benchmarks/parity_resemblyzer.py [--limit 60]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
VENV = Path(os.environ.get("EARMARK_RESEMBLYZER_VENV", "/tmp/earmark-resemblyzer-venv"))
REFERENCE = r"""
import json, sys, time
import numpy as np, soundfile as sf
from resemblyzer import VoiceEncoder
from resemblyzer.audio import normalize_volume
payload = json.load(open(sys.argv[1]))
encoder = VoiceEncoder(device="cpu", verbose=False)
wavs = [normalize_volume(sf.read(p, dtype="float32")[0], -30, increase_only=True) for p in payload["files"]]
start = time.perf_counter()
embeds = [encoder.embed_utterance(w.astype(np.float32)).tolist() for w in wavs]
print(json.dumps({"embeddings": embeds, "seconds": time.perf_counter() - start}))
"""


def reference_python() -> Path:
    python = VENV / "bin" / "python"
    if not (VENV / "ready").exists():
        print(f"building {VENV} (torch, librosa, webrtcvad, resemblyzer --no-deps)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "-c", str(REPO / "scripts" / "constraints.txt")]
        subprocess.run([*pip, "torch", "librosa", "webrtcvad-wheels", "scipy", "soundfile"], check=True)
        subprocess.run([*pip, "--no-deps", "resemblyzer==0.1.4"], check=True)
        (VENV / "ready").write_text("ok\n")
    return python


def main() -> None:
    from earmark.engines.ge2e import embed_utterance, normalize_volume
    from earmark.io.decode import load_audio

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    paths = sorted((DATA / "fsdd").rglob("*.wav"))[: args.limit // 2]
    paths += sorted((DATA / "speech_commands").rglob("*.wav"))[: args.limit - len(paths)]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, path in enumerate(paths):
            files.append(str(Path(tmp) / f"{i}.wav"))
            sf.write(files[-1], load_audio(str(path)).mono().resample(16000).samples, 16000, subtype="FLOAT")
        (Path(tmp) / "payload.json").write_text(json.dumps({"files": files}))
        script = Path(tmp) / "reference.py"
        script.write_text(REFERENCE)
        run = subprocess.run(
            [str(reference_python()), str(script), str(Path(tmp) / "payload.json")],
            capture_output=True,
            text=True,
            check=True,
        )
        theirs = json.loads(run.stdout.strip().splitlines()[-1])
        wavs = [normalize_volume(sf.read(f, dtype="float32")[0]) for f in files]
        start = time.perf_counter()
        ours = [embed_utterance(w)[0] for w in wavs]
        seconds = time.perf_counter() - start
    audio_s = sum(len(w) for w in wavs) / 16000
    want = np.array(theirs["embeddings"], np.float32)
    cosines = np.sum(np.array(ours) * want, axis=1)
    print(
        f"{len(files)} clips ({audio_s:.0f} s of audio): cosine min {cosines.min():.6f}, median "
        f"{np.median(cosines):.6f}; max |diff| {np.abs(np.array(ours) - want).max():.2e}"
    )
    print(
        f"speed: earmark {audio_s / seconds:.0f}x real time, resemblyzer {audio_s / theirs['seconds']:.0f}x "
        f"(ratio {theirs['seconds'] / seconds:.2f})"
    )


if __name__ == "__main__":
    main()
