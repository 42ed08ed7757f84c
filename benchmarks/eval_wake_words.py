"""Wake-word accuracy on real recordings: detection rate per model and keyword, and false accepts
per hour on a long stream of real non-wake-word audio.

- positives: ../shared/data/wakewords/{alexa,jarvis} clips, each padded with 1 s of silence;
- negatives: one stream of intent utterances, FSDD digits, multilingual speech and ESC-10 noises
  (0.5 s of silence between clips), plus a second stream of the other wake words (computer,
  snowboy, smart mirror, view glass), run through all nine models at their default thresholds.

    .venv/bin/python benchmarks/eval_wake_words.py [--threshold X] [--vad-threshold P]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = [f"wake-word/{n}" for n in ("alexa", "hey_jarvis", "hey_mycroft", "hey_rhasspy", "ok_nabu")] + [
    f"wake-word/{n}@micro" for n in ("alexa", "hey_jarvis", "hey_mycroft", "okay_nabu")
]
GAP = np.zeros(8000, np.float32)


def stream_of(paths: list[Path]) -> np.ndarray:
    from earmark import load_audio

    parts = []
    for path in paths:
        parts += [load_audio(path).mono().resample(16000).samples, GAP]
    return np.concatenate(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--vad-threshold", type=float, default=None)
    args = parser.parse_args()
    from earmark.streaming import StreamOptions, listener

    stream = listener(MODELS, StreamOptions(threshold=args.threshold, vad_threshold=args.vad_threshold))
    pad = np.zeros(16000, np.float32)
    for keyword, wanted in (("alexa", ("alexa", "alexa@micro")), ("jarvis", ("hey_jarvis", "hey_jarvis@micro"))):
        clips = sorted((DATA / "wakewords" / keyword).glob("*.*"))
        hits = dict.fromkeys(wanted, 0)
        for path in clips:
            stream.reset()
            labels = {e.label for e in stream.listen([np.concatenate([pad, stream_of([path]), pad])], 16000)}
            for label in wanted:
                hits[label] += label in labels
        for label in wanted:
            miss = 1 - hits[label] / len(clips)
            print(f"{keyword} clips ({len(clips)}): {label} detected {hits[label]}, miss rate {miss:.1%}")
    negatives = {
        "speech and noise (intent, FSDD, multilingual, ESC-10)": sorted((DATA / "intent").rglob("*.wav"))
        + sorted((DATA / "fsdd").rglob("*.wav"))
        + sorted((DATA / "multilingual").rglob("*.wav"))
        + sorted((DATA / "esc10").rglob("*.ogg")),
        "other wake words (computer, snowboy, smart mirror, view glass)": [
            p
            for k in ("computer", "snowboy", "smart mirror", "view glass")
            for p in sorted((DATA / "wakewords" / k).glob("*.*"))
        ],
    }
    for name, paths in negatives.items():
        audio = stream_of(paths)
        hours = len(audio) / 16000 / 3600
        stream.reset()
        start = time.perf_counter()
        events = stream.listen([audio[i : i + 16000] for i in range(0, len(audio), 16000)], 16000)
        seconds = time.perf_counter() - start
        counts = {label: sum(e.label == label for e in events) for label in stream.labels}
        rtf = seconds / (hours * 3600)
        print(f"{name}: {hours * 60:.1f} min, {len(paths)} clips, 9 models in {seconds:.1f} s (RTF {rtf:.4f})")
        for label, count in counts.items():
            print(f"  {label:18s} {count:3d} false accepts = {count / hours:6.2f} per hour")


if __name__ == "__main__":
    main()
