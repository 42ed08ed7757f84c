"""Detectors at a false-accept target on hours of real audio: the DET curve of ``wake-word/alexa``
and of a ``train-keyword`` model, thresholds chosen on one half of the negatives and measured on
the other, with held-out recordings of the word streamed into that other half.

Negatives are every speech, music and environmental recording in ../shared/data that is not the
word (and, for the trained keyword, not audio it was trained on) and the set-up's music (Debian's
wesnoth-1.16-music), about 3.5 hours. Short clips are joined into 10-minute streams with 0.5 s
pauses; files alternate between half A (threshold) and half B (measurement). Everything is streamed
as ``earmark listen`` streams a file (Silero VAD gate at 0.5, refractory 2 s).

1. alexa: ``calibrate_streams`` on half A with the 80 alexa recordings -> threshold for 0.5 false
   accepts per hour; then half B with the alexa recordings inserted (0.5 s of silence either side,
   one every ~2 minutes) streamed once: false accepts per hour (events overlapping no inserted word)
   and misses, at the chosen threshold and at openWakeWord's default 0.5.
2. train-keyword "computer": trained on 40 recordings with eval_keyword.py's training negatives,
   its threshold chosen by train-keyword itself (held-out negatives + half A, ``fa_per_hour=0.5``);
   then half B with the 40 other recordings inserted: detected and false accepts per hour.

    .venv/bin/python benchmarks/bench_detectors.py [--fa-per-hour 0.5] [--plot DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MUSIC = Path(os.environ.get("EARMARK_TEST_MUSIC", Path.home() / ".cache/earmark-test-data/music"))
MUSIC = MUSIC / "usr/share/games/wesnoth/1.16/data/core/music"
RATE = 16000
STREAM_S = 600.0


def files(folder: Path, pattern: str = "*") -> list[Path]:
    from earmark.io import AUDIO_SUFFIXES

    return sorted(p for p in folder.rglob(pattern) if p.suffix.lower() in AUDIO_SUFFIXES)


def joined(paths: list[Path], out: Path, name: str) -> list[str]:
    """Short clips joined into streams of at most STREAM_S seconds (0.5 s pauses), as 16 kHz WAVs."""
    from earmark import load_audio

    written, parts, length, gap = [], [], 0, np.zeros(RATE // 2, np.float32)
    for path in paths:
        x = load_audio(path).mono().resample(RATE).samples
        parts += [x, gap]
        length += len(x) + len(gap)
        if length >= STREAM_S * RATE:
            written.append(out / f"{name}-{len(written):03d}.wav")
            sf.write(written[-1], np.concatenate(parts), RATE)
            parts, length = [], 0
    if parts:
        written.append(out / f"{name}-{len(written):03d}.wav")
        sf.write(written[-1], np.concatenate(parts), RATE)
    return [str(p) for p in written]


def negatives(out: Path, exclude: set[str]) -> list[str]:
    """The long negative files: joined clips of every kind not excluded, and the music as it is."""
    kinds = {
        "fsdd": files(DATA / "fsdd"),
        "intent": files(DATA / "intent"),
        "multilingual": files(DATA / "multilingual"),
        "speech_commands": files(DATA / "speech_commands"),
        "esc10": files(DATA / "esc10"),
        **{
            f"wake-{w}": files(DATA / "wakewords" / w)
            for w in ("alexa", "computer", "jarvis", "smart mirror", "snowboy", "view glass")
        },
    }
    streams = []
    for kind, paths in kinds.items():
        kept = [p for p in paths if str(p) not in exclude and kind not in exclude]
        if kept:
            streams += joined(kept, out, kind.replace(" ", "_"))
    return streams + [str(p) for p in sorted(MUSIC.glob("*.ogg"))]


def halves(paths: list[str]) -> tuple[list[str], list[str]]:
    return paths[0::2], paths[1::2]


def with_words(paths: list[str], words: list[Path], out: Path) -> tuple[list[str], list[list[tuple[float, float]]]]:
    """Half B with the word recordings inserted at random points (0.5 s of silence either side)."""
    from earmark import load_audio

    rng = random.Random(0)
    slots = sorted(rng.randrange(len(paths)) for _ in words)
    written, places = [], []
    for n, path in enumerate(paths):
        audio = load_audio(path).mono().resample(RATE).samples
        mine = [w for w, s in zip(words, slots) if s == n]
        cuts = sorted(rng.randrange(len(audio)) for _ in mine)
        parts, spots, last, t = [], [], 0, 0
        for word, cut in zip(mine, cuts):
            x = load_audio(word).mono().resample(RATE).samples
            pad = np.zeros(RATE // 2, np.float32)
            parts += [audio[last:cut], pad]
            t += cut - last + len(pad)
            spots.append((t / RATE, (t + len(x)) / RATE))
            parts += [x, pad]
            t += len(x) + len(pad)
            last = cut
        parts.append(audio[last:])
        written.append(str(out / f"b-{n:03d}.wav"))
        sf.write(written[-1], np.concatenate(parts), RATE)
        places.append(spots)
    return written, places


def measure(model: str, paths: list[str], places: list[list[tuple[float, float]]], label: str, thresholds: dict):
    """Stream half B once; at each threshold: words detected, and false accepts per hour."""
    from earmark.evaluation.detection import RecordingListener, replay
    from earmark.io.streams import file_chunks
    from earmark.options import LoadOptions
    from earmark.streaming import StreamOptions
    from earmark.streaming.models import scorers_for

    options = StreamOptions(vad_threshold=0.5)
    listener = RecordingListener(scorers_for([model], options=LoadOptions(calibration="none")), options)
    start = time.perf_counter()
    records = [listener.stream(file_chunks(p))[0] for p in paths]
    seconds = time.perf_counter() - start
    words = sum(len(s) for s in places)
    hours = (sum(r.duration_s for r in records) - sum(b - a for s in places for a, b in s)) / 3600
    out = {"hours": hours, "words": words, "stream_x_real_time": sum(r.duration_s for r in records) / seconds}
    for name, t in thresholds.items():
        hit, false = 0, 0
        for record, spots in zip(records, places):
            found = set()
            for e in replay(record, label, t, options):
                match = [k for k, (a, b) in enumerate(spots) if e.start_s <= b + 0.5 and e.end_s >= a - 0.5]
                found.update(match) if match else None
                false += not match
            hit += len(found)
        out[name] = {"threshold": t, "detected": hit / words, "false_accepts": false, "fa_per_hour": false / hours}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fa-per-hour", type=float, default=0.5)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-alexa", action="store_true")
    parser.add_argument("--skip-keyword", action="store_true")
    args = parser.parse_args()
    from earmark.calibration import Target
    from earmark.evaluation.detection import calibrate_streams
    from earmark.evaluation.plots import plot_det
    from earmark.io.labelled import LabelledClip
    from earmark.streaming import StreamOptions
    from earmark.training import train_keyword

    target, results = Target("fa-per-hour", args.fa_per_hour), {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_alexa:
            folder = tmp / "alexa"
            folder.mkdir()
            a, b = halves(negatives(folder, {"wake-alexa"}))
            alexas = files(DATA / "wakewords" / "alexa")
            start = time.perf_counter()
            chosen = calibrate_streams(
                ["wake-word/alexa"],
                [LabelledClip(str(p), "alexa") for p in alexas],
                a,
                target,
                StreamOptions(vad_threshold=0.5),
            )
            (c,) = chosen.classes
            print(
                f"alexa: half A {chosen.negatives_hours:.2f} h, threshold {c.threshold} for {target}: "
                f"{c.fa_per_hour} FA/h (95% {c.interval}), miss {c.miss_rate} on {c.positives} recordings "
                f"({time.perf_counter() - start:.0f} s)"
            )
            b_paths, places = with_words(b, alexas, folder)
            m = measure("wake-word/alexa", b_paths, places, "alexa", {"chosen": c.threshold, "default": 0.5})
            print(
                f"alexa: half B {m['hours']:.2f} h with {m['words']} recordings inserted "
                f"({m['stream_x_real_time']:.0f}x real time): chosen {m['chosen']}; default {m['default']}"
            )
            results["alexa"] = {"half_a": chosen.to_dict(), "half_b": m}
            if args.plot:
                args.plot.mkdir(parents=True, exist_ok=True)
                plot_det(chosen.extra["det"], chosen.thresholds, args.plot / "det-alexa.png", f"{target}, half A")
        if not args.skip_keyword:
            folder = tmp / "keyword"
            folder.mkdir()
            rng = random.Random(0)
            words = files(DATA / "wakewords" / "computer")
            rng.shuffle(words)
            train_pos, test_pos = words[:40], words[40:]
            train_neg = files(DATA / "speech_commands") + files(DATA / "wakewords" / "jarvis")
            train_neg += files(DATA / "wakewords" / "snowboy") + files(DATA / "multilingual")
            train_neg += files(DATA / "esc10", "1-*") + files(DATA / "esc10", "2-*")
            exclude = {str(p) for p in train_neg} | {
                "wake-computer",
                "speech_commands",
                "wake-jarvis",
                "wake-snowboy",
                "multilingual",
            }
            a, b = halves(negatives(folder, exclude))
            start = time.perf_counter()
            train_keyword(
                [LabelledClip(str(p), "computer") for p in train_pos],
                [LabelledClip(str(p), "other") for p in train_neg],
                folder / "model",
                keyword="computer",
                fa_per_hour=args.fa_per_hour,
                calibration_negatives=a,
            )
            from earmark.calibration import Calibration

            chosen = Calibration.read(folder / "model")
            (c,) = chosen.classes
            print(
                f"computer: trained and thresholded in {time.perf_counter() - start:.0f} s on "
                f"{chosen.negatives_hours:.2f} h (held-out + half A): threshold {c.threshold}, {c.fa_per_hour} FA/h "
                f"(95% {c.interval}), miss {c.miss_rate} on {c.positives} held-out recordings; {c.reason or ''}"
            )
            b_paths, places = with_words(b, test_pos, folder)
            thresholds = {"chosen": c.threshold, "default": 0.5} if c.threshold is not None else {"default": 0.5}
            m = measure(str(folder / "model"), b_paths, places, "computer", thresholds)
            print(
                f"computer: half B {m['hours']:.2f} h with {m['words']} unseen recordings inserted: "
                + "; ".join(f"{k} {m[k]}" for k in thresholds)
            )
            results["computer"] = {"calibration": chosen.to_dict(), "half_b": m}
            if args.plot:
                args.plot.mkdir(parents=True, exist_ok=True)
                plot_det(chosen.extra["det"], chosen.thresholds, args.plot / "det-computer.png", str(target))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
