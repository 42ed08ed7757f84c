"""A new keyword from a handful of recordings: train a "computer" detector on N real recordings
(Picovoice wake-word set) with negatives cut from other audio, then test it on recordings it never saw:

- clips: the other "computer" recordings (recall at the 0.5 threshold) and other audio of kinds not
  used for training (other wake words, FSDD digits, ESC-10 folds 3-4: false-accept rate);
- a stream: unseen keyword recordings and unseen negatives joined with pauses, run through the same
  Listener as ``earmark listen`` (Silero VAD gate on): hits, misses, false alarms, real-time factor;
- ``multiple_keywords.wav`` (45 s of 20 other keywords): false alarms.

    .venv/bin/python benchmarks/eval_keyword.py [--positives 40] [--encoder openwakeword] [--head logistic]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def files(folder: Path, pattern: str = "*") -> list[Path]:
    from earmark.io import AUDIO_SUFFIXES

    return sorted(p for p in folder.rglob(pattern) if p.suffix.lower() in AUDIO_SUFFIXES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positives", type=int, default=40, help="keyword recordings to train on")
    parser.add_argument("--encoder", default="openwakeword")
    parser.add_argument("--head", default="logistic")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import earmark
    from earmark.io.labelled import LabelledClip
    from earmark.streaming import StreamOptions, listener
    from earmark.training import train_keyword

    rng = random.Random(args.seed)
    keyword = files(DATA / "wakewords" / "computer")
    rng.shuffle(keyword)
    train_pos, test_pos = keyword[: args.positives], keyword[args.positives :]
    train_neg = (
        files(DATA / "speech_commands") + files(DATA / "wakewords" / "jarvis") + files(DATA / "wakewords" / "snowboy")
    )
    train_neg += files(DATA / "esc10", "1-*") + files(DATA / "esc10", "2-*") + files(DATA / "multilingual")
    fsdd = files(DATA / "fsdd" / "recordings")
    test_neg = [p for w in ("alexa", "smart mirror", "view glass") for p in files(DATA / "wakewords" / w)]
    test_neg += rng.sample(fsdd, 200) + files(DATA / "esc10", "3-*") + files(DATA / "esc10", "4-*")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "computer"
        start = time.perf_counter()
        report = train_keyword(
            [LabelledClip(str(p), "computer") for p in train_pos],
            [LabelledClip(str(p), "other") for p in train_neg],
            out,
            keyword="computer",
            encoder=args.encoder,
            head=args.head,
            seed=args.seed,
        )
        print(
            f"trained on {args.positives} recordings ({report.train_clips} train / {report.test_clips} internal test "
            f"clips incl. negative crops) in {time.perf_counter() - start:.1f} s; internal held-out accuracy "
            f"{report.accuracy:.1%}"
        )
        model = earmark.load(out)
        pos_scores = np.array([p.scores[0].score for p in model.classify_many([str(p) for p in test_pos], top_k=None)])
        neg_scores = np.array([p.scores[0].score for p in model.classify_many([str(p) for p in test_neg], top_k=None)])
        print(
            f"unseen clips: recall {(pos_scores >= 0.5).mean():.1%} of {len(test_pos)} keyword recordings; "
            f"false accepts {(neg_scores >= 0.5).sum()} of {len(test_neg)} other clips "
            f"({(neg_scores >= 0.5).mean():.2%})"
        )

        pieces, truth, t = [], [], 0.0
        stream_pos = test_pos[:20]
        stream_neg = rng.sample(test_neg, 60)
        order = [(p, True) for p in stream_pos] + [(p, False) for p in stream_neg]
        rng.shuffle(order)
        for path, is_keyword in order:
            audio = earmark.load_audio(path).mono().resample(16000).samples
            gap = np.zeros(int(16000 * rng.uniform(0.3, 1.0)), np.float32)
            if is_keyword:
                truth.append((t + len(gap) / 16000, t + (len(gap) + len(audio)) / 16000))
            pieces += [gap, audio]
            t += (len(gap) + len(audio)) / 16000
        stream = np.concatenate(pieces)
        options = StreamOptions(vad_threshold=0.5)
        listen = listener([str(out)], options)
        start = time.perf_counter()
        events = [e for i in range(0, len(stream), 1280) for e in listen.push(stream[i : i + 1280], 16000)]
        elapsed = time.perf_counter() - start
        window = model.stream_window_s
        hit = [any(s <= e.end_s <= end + window for e in events) for s, end in truth]
        false = [e for e in events if not any(s <= e.end_s <= end + window for s, end in truth)]
        print(
            f"stream of {t:.0f} s ({len(truth)} keywords, {len(stream_neg)} other clips): {sum(hit)} hits, "
            f"{len(truth) - sum(hit)} misses, {len(false)} false alarms; real-time factor {elapsed / t:.3f}"
        )
        listen = listener([str(out)], options)
        other = earmark.load_audio(DATA / "wakewords" / "multiple_keywords.wav")
        alarms = listen.listen([other])
        print(f"multiple_keywords.wav ({other.duration_s:.0f} s, 20 other keywords): {len(alarms)} false alarms")


if __name__ == "__main__":
    main()
