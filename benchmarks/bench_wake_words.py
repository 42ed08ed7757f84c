"""earmark's streaming engine vs the openwakeword package's own ``Model.predict`` loop: five
openWakeWord models, the same audio, the same run.

Both run the same TFLite files (from wyoming-openwakeword) on ai-edge-litert: openwakeword imports
``tflite_runtime``, which breaks on numpy 2, so this script points that import at ai-edge-litert's
identical ``Interpreter``. The audio is ``multiple_keywords.wav`` (45.5 s) repeated to ~3 minutes,
fed in 80 ms chunks to both, with two threads each (``ncpu=2``; earmark uses them for the embedding).
Reported: real-time factor (seconds of compute per second of audio),
the ratio, the largest per-frame score difference after the first 2 s (openwakeword starts from
random-noise history, earmark from silence), and the detections of both at threshold 0.5 with a
2 s debounce.

    .venv/bin/python benchmarks/bench_wake_words.py [--runs 3] [--repeat 4]
(needs: pip install --no-deps openwakeword)
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import numpy as np

from timing import median_time

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wakewords" / "multiple_keywords.wav"
NAMES = ["alexa", "hey_jarvis", "hey_mycroft", "hey_rhasspy", "ok_nabu"]
STEP = 1280


def openwakeword_model(folder: Path):
    from ai_edge_litert import interpreter

    shim = types.ModuleType("tflite_runtime")
    shim.interpreter = interpreter
    sys.modules.setdefault("tflite_runtime", shim)
    sys.modules.setdefault("tflite_runtime.interpreter", interpreter)
    from openwakeword.model import Model

    return Model(
        wakeword_models=[str(folder / f"{n}_v0.1.tflite") for n in NAMES],
        inference_framework="tflite",
        melspec_model_path=str(folder / "melspectrogram.tflite"),
        embedding_model_path=str(folder / "embedding_model.tflite"),
        ncpu=2,
    )


def detections(scores: np.ndarray, threshold: float = 0.5, debounce_s: float = 2.0) -> list[tuple[str, float]]:
    out, blocked = [], [-1.0] * scores.shape[1]
    for i, row in enumerate(scores):
        t = (i + 1) * STEP / 16000
        for k, score in enumerate(row):
            if score >= threshold and t >= blocked[k]:
                out.append((NAMES[k], round(t, 2)))
                blocked[k] = t + debounce_s
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    from earmark import load_audio
    from earmark.engines.wakeword.openwakeword import OpenWakeWordScorer, openwakeword_model_dir
    from earmark.streaming import Listener, StreamOptions

    audio = np.tile(load_audio(DATA).mono().resample(16000).samples, args.repeat)
    audio = audio[: len(audio) // STEP * STEP]
    pcm = np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)
    seconds = len(audio) / 16000
    chunks = [audio[i : i + STEP] for i in range(0, len(audio), STEP)]
    scorer = OpenWakeWordScorer(NAMES)
    ours = Listener([scorer], StreamOptions(threshold=0.5, refractory_s=2.0))
    theirs = openwakeword_model(openwakeword_model_dir())

    def run_ours():
        ours.reset()
        return ours.listen(chunks, 16000)

    def run_scores_ours():
        scorer.reset()
        return np.vstack([scorer.push(c) for c in chunks])

    def run_theirs():
        theirs.reset()
        rows = [theirs.predict(pcm[i : i + STEP]) for i in range(0, len(pcm), STEP)]
        return np.array([[r[n + "_v0.1"] for n in NAMES] for r in rows])

    t_ours, events = median_time(run_ours, args.runs)
    t_theirs, theirs_scores = median_time(run_theirs, args.runs)
    ours_scores = run_scores_ours()
    skip = int(2.0 * 16000 / STEP)
    diff = np.abs(ours_scores[skip:] - theirs_scores[skip:]).max()
    print(f"{seconds:.1f} s of audio, 5 openWakeWord models, median of {args.runs} runs")
    print(
        f"earmark Listener: RTF {t_ours / seconds:.4f} | openwakeword Model.predict: RTF {t_theirs / seconds:.4f} "
        f"| ratio {t_theirs / t_ours:.2f}x | max score difference after 2 s: {diff:.2e}"
    )
    print(f"earmark detections:      {[(e.label, round(e.end_s, 2)) for e in events]}")
    print(f"openwakeword detections: {detections(theirs_scores)}")


if __name__ == "__main__":
    main()
