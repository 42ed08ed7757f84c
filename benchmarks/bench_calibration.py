"""Do calibrated thresholds hold out of sample? Heads trained on real data, thresholds chosen on one
split by ``earmark calibrate``'s code, measured on another the head and the thresholds never saw.

- ESC-10 (BirdNET encoder, logistic head): for each rotation r of the four folds, train on folds
  r and r+1, calibrate on one of the other two, measure on the last (both ways round): 8 splits.
  A fold has 8 clips per class, so ``min_examples`` is 8 here.
- FSDD digits (openWakeWord encoder): train on speakers r and r+1, calibrate on speaker r+2,
  measure on speakers r+3 and r+4: 5 splits, 50 clips per digit to calibrate on.

Each target is chosen two ways: on the calibration clips' own precision (confidence 0) and as
``earmark calibrate`` does by default, where the precision's one-sided 95 % Clopper-Pearson lower
bound must reach the target. For each class with a threshold: the precision it reached on the
calibration split and its bootstrap
95 % interval, and the precision on the test split. "holds" = test precision >= target; "within" =
test precision >= the interval's lower end. ECE (class-wise, 15 bins) on the test split before and
after Platt / isotonic maps fitted on the calibration split.

    .venv/bin/python benchmarks/bench_calibration.py [--targets 0.9,0.95] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def esc10_splits():
    from earmark.io.labelled import load_labelled

    clips = load_labelled(str(DATA / "esc10"))
    fold = {c.key: Path(c.source).name[0] for c in clips}
    for r in range(4):
        train = {str((r + k) % 4 + 1) for k in (0, 1)}
        a, b = str((r + 2) % 4 + 1), str((r + 3) % 4 + 1)
        yield f"folds {'+'.join(sorted(train))}", clips, fold, train, [(a, b), (b, a)], a


def fsdd_splits():
    from earmark.io.labelled import load_labelled

    clips = load_labelled(str(DATA / "fsdd" / "recordings"), label_pattern=r"^(\d)_")
    speaker = {c.key: Path(c.source).name.split("_")[1] for c in clips}
    people = sorted(set(speaker.values()))
    for r in range(5):
        train = {people[r], people[(r + 1) % 5]}
        calibrate_on = people[(r + 2) % 5]
        test = f"{people[(r + 3) % 5]}+{people[(r + 4) % 5]}"
        group = {k: (v if v in train or v == calibrate_on else test) for k, v in speaker.items()}
        yield f"speakers {'+'.join(sorted(train))}", clips, group, train, [(calibrate_on, test)], calibrate_on


def run(name, splits, encoder, split_by, min_examples, targets, tmp):
    import earmark
    from earmark.calibration import Target
    from earmark.evaluation.calibrate import ScoreTable, calibrate, ece, fit_maps, score_table
    from earmark.training import train_head
    from earmark.training.train import TrainOptions

    rows, eces = [], []
    for title, clips, group, train, pairs, internal in splits:
        start = time.perf_counter()
        held = sorted({g for g in group.values() if g not in train})
        # the head's own held-out report uses a calibration group: it is never trained on
        train_clips = [c for c in clips if group[c.key] in train or group[c.key] == internal]
        out = Path(tmp) / f"{name}-{title}".replace(" ", "_")
        train_head(train_clips, out, TrainOptions(encoder=encoder, split_by=split_by, test_groups=(internal,)))
        model = earmark.load(out)
        tables = {}
        for g in held:
            tables[g] = score_table(model, [c for c in clips if group[c.key] == g])
        for cal, test in pairs:
            fit, check = tables[cal], tables[test]
            present = [x for x in model.labels if x in set(fit.truth)]
            before = ece(check.scores, check.truth, model.labels, present)
            after = {}
            for method in ("platt", "isotonic"):
                maps = fit_maps(fit.scores, fit.truth, model.labels, present, method)
                mapped = np.array(check.scores, float)
                for label, m in maps.items():
                    j = model.labels.index(label)
                    mapped[:, j] = m(mapped[:, j])
                after[method] = ece(mapped, check.truth, model.labels, present)
            eces.append({"split": f"{title}: calibrate {cal}, test {test}", "before": before, **after})
            for value, confidence in ((v, c) for v in targets for c in (0.0, 0.95)):
                table = ScoreTable(fit.labels, fit.scores, fit.truth)
                result = calibrate(table, Target("precision", value), min_examples=min_examples, confidence=confidence)
                for c in result.classes:
                    row = {
                        "split": f"{title}: calibrate {cal}, test {test}",
                        "target": value,
                        "confidence": confidence,
                        "label": c.label,
                        "threshold": c.threshold,
                        "reason": c.reason,
                    }
                    if c.threshold is not None:
                        j = model.labels.index(c.label)
                        detected = check.scores[:, j] >= c.threshold
                        positive = check.positives(c.label)
                        row |= {
                            "precision": c.precision,
                            "interval": c.interval,
                            "test_precision": float((detected & positive).sum() / max(1, detected.sum())),
                            "test_recall": float((detected & positive).sum() / max(1, positive.sum())),
                            "test_detections": int(detected.sum()),
                        }
                    rows.append(row)
        print(f"{name} {title}: trained and scored in {time.perf_counter() - start:.0f} s", flush=True)
    return rows, eces


def summary(name, rows, eces, targets):
    print(f"\n{name}")
    for value, confidence in ((v, c) for v in targets for c in (0.0, 0.95)):
        mine = [r for r in rows if r["target"] == value and r["confidence"] == confidence]
        given = [r for r in mine if r["threshold"] is not None]
        holds = sum(r["test_precision"] >= value for r in given)
        within = sum(r["test_precision"] >= r["interval"][0] for r in given)
        recall = np.mean([r["test_recall"] for r in given]) if given else float("nan")
        print(
            f"  precision >= {value}: {len(given)} of {len(mine)} class thresholds given ({len(mine) - len(given)} "
            f"refused); out of sample the target holds for {holds} ({holds / max(1, len(given)):.0%}), within its "
            f"interval for {within} ({within / max(1, len(given)):.0%}); mean test recall {recall:.3f}"
        )
    for key in ("before", "platt", "isotonic"):
        values = [e[key] for e in eces]
        print(f"  ECE on the test split, {key}: median {np.median(values):.4f} (of {len(values)} splits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="0.9,0.95")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=["esc10", "fsdd"])
    args = parser.parse_args()
    targets = [float(x) for x in args.targets.split(",")]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "fsdd":
            out["esc10"] = run("ESC-10", esc10_splits(), "birdnet", r"^(\d)-", 8, targets, tmp)
        if args.only != "esc10":
            out["fsdd"] = run("FSDD", fsdd_splits(), "openwakeword", r"^\d_([a-z]+)_", 10, targets, tmp)
    for name, (rows, eces) in out.items():
        summary(name, rows, eces, targets)
    if args.json:
        args.json.write_text(json.dumps({k: {"rows": r, "ece": e} for k, (r, e) in out.items()}, indent=2))


if __name__ == "__main__":
    main()
