"""Head training on real data, with splits that never share a speaker, recording or fold:

- fsdd: train on 4 speakers, test on the 5th (each in turn);
- esc10: train on 3 folds, test on the 4th (each in turn);
- speech_commands: 5 speaker-grouped folds (speaker = file-name prefix before ``_nohash_``);
- intent: coffee orders, class = the ``coffeeDrink`` slot, 5 stratified folds (the data names no speakers).

For each encoder and head it prints per-fold held-out accuracy (scored by loading the saved model, as
``earmark train`` does), the mean, and the time for each fold. Encoder frames are cached per set and
encoder, so the first fold's time includes encoding the whole set and later folds only train and test.

    .venv/bin/python benchmarks/eval_training.py [--encoders openwakeword,whisper-base]
        [--heads logistic,mlp,attention] [--sets fsdd,esc10,speech_commands,intent] [--cache DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_set(name: str):
    """(clips, split_by, folds): folds are lists of held-out groups."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    from earmark.io.labelled import load_labelled
    from earmark.training import group_of

    if name == "fsdd":
        clips, split_by = load_labelled(DATA / "fsdd" / "recordings", label_pattern=r"^(\d+)_"), r"^\d+_([a-z]+)_"
        return clips, split_by, [[g] for g in sorted({group_of(c, split_by) for c in clips})]
    if name == "esc10":
        clips, split_by = load_labelled(DATA / "esc10"), r"^(\d)-"
        return clips, split_by, [[g] for g in sorted({group_of(c, split_by) for c in clips})]
    if name == "speech_commands":
        clips, split_by = load_labelled(DATA / "speech_commands"), r"^([0-9a-f]+)_nohash_"
        groups = [group_of(c, split_by) for c in clips]
        folds = GroupKFold(n_splits=5).split(clips, groups=groups)
        return clips, split_by, [sorted({groups[i] for i in test}) for _, test in folds]
    if name == "intent":
        clips = load_labelled(DATA / "intent" / "labels.json", label_field="slots.coffeeDrink")
        labels = [c.label for c in clips]
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(clips, labels)
        return clips, None, [[clips[i].key for i in test] for _, test in folds]
    raise SystemExit(f"unknown set {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", default="openwakeword,whisper-base")
    parser.add_argument("--heads", default="logistic,mlp,attention")
    parser.add_argument("--sets", default="fsdd,esc10,speech_commands,intent")
    parser.add_argument("--cache", help="keep encoder frames here between runs (default: a temp folder)")
    args = parser.parse_args()
    from earmark.training import train_head

    with tempfile.TemporaryDirectory() as tmp:
        cache_root = Path(args.cache or tmp)
        for name in args.sets.split(","):
            clips, split_by, folds = load_set(name)
            for encoder in args.encoders.split(","):
                for head in args.heads.split(","):
                    results = []
                    for held_out in folds:
                        start = time.perf_counter()
                        report = train_head(
                            clips,
                            Path(tmp) / "model",
                            encoder=encoder,
                            head=head,
                            split_by=split_by,
                            test_groups=held_out,
                            cache=cache_root / f"{name}-{encoder}",
                        )
                        results.append(report.accuracy)
                        shown = ",".join(held_out) if split_by else f"{len(held_out)} clips"
                        print(
                            f"{name} {encoder} {head} held out {shown[:60]}: accuracy {report.accuracy:.1%} "
                            f"macro-F1 {report.macro_f1:.3f} ({report.train_clips} train / "
                            f"{report.validation_clips} validation / {report.test_clips} test) "
                            f"in {time.perf_counter() - start:.1f} s {report.details}",
                            flush=True,
                        )
                    print(
                        f"== {name} {encoder} {head}: mean accuracy {statistics.mean(results):.1%} "
                        f"(folds: {' '.join(f'{r:.1%}' for r in results)})",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
