"""Head training on real data with group-aware rotation: FSDD (train on 4 speakers, test on the 5th)
and ESC-10 (train on 3 folds, test on the 4th), for each frozen encoder. Embeddings are cached per
encoder, so the rotations after the first only train heads.

    .venv/bin/python benchmarks/eval_training.py [--encoders openwakeword,whisper-base] [--sets fsdd,esc10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "fsdd": (DATA / "fsdd" / "recordings", r"^(\d+)_", r"^\d+_([a-z]+)_"),
    "esc10": (DATA / "esc10", None, r"^(\d)-"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", default="openwakeword,whisper-base")
    parser.add_argument("--sets", default="fsdd,esc10")
    args = parser.parse_args()
    from earmark.labelled import load_labelled
    from earmark.training import group_of, train_head

    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            folder, label_pattern, split_by = SETS[name]
            clips = load_labelled(folder, label_pattern=label_pattern)
            groups = sorted({group_of(c, split_by) for c in clips})
            for encoder in args.encoders.split(","):
                cache = Path(tmp) / f"{name}-{encoder}"
                results = []
                for group in groups:
                    start = time.perf_counter()
                    report = train_head(
                        clips, Path(tmp) / "model", encoder=encoder, split_by=split_by, test_groups=[group], cache=cache
                    )
                    results.append(report.accuracy)
                    print(
                        f"{name} {encoder} held out {group}: accuracy {report.accuracy:.1%} macro-F1 "
                        f"{report.macro_f1:.3f} ({report.train_clips} train / {report.test_clips} test) "
                        f"in {time.perf_counter() - start:.1f} s",
                        flush=True,
                    )
                print(f"{name} {encoder}: mean accuracy {sum(results) / len(results):.1%}", flush=True)


if __name__ == "__main__":
    main()
