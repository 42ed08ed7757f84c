"""earmark's event- and segment-based metrics against the sed_eval package itself, on random scenes.

sed_eval (with dcase_util, librosa, numba) is not an earmark dependency: this script makes a
throw-away virtual environment for it, writes random reference and estimated events for a few
recordings, has sed_eval score them there, scores them with ``earmark.evaluation.events`` here,
and prints both and their largest difference.

    .venv/bin/python benchmarks/check_sed_eval.py [--venv /tmp/sed-eval-venv] [--scenes 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SED_SIDE = r"""
import json, sys, sed_eval, dcase_util
data = json.load(open(sys.argv[1]))
labels = data["labels"]
eb = sed_eval.sound_event.EventBasedMetrics(event_label_list=labels, t_collar=0.2, percentage_of_length=0.5)
sb = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=labels, time_resolution=1.0)
for name in data["files"]:
    ref = dcase_util.containers.MetaDataContainer([r for r in data["reference"] if r["filename"] == name])
    est = dcase_util.containers.MetaDataContainer([r for r in data["estimated"] if r["filename"] == name])
    eb.evaluate(reference_event_list=ref, estimated_event_list=est)
    sb.evaluate(reference_event_list=ref, estimated_event_list=est)
e, s = eb.results_overall_metrics(), sb.results_overall_metrics()
print(json.dumps({
    "event_f1": e["f_measure"]["f_measure"], "event_precision": e["f_measure"]["precision"],
    "event_recall": e["f_measure"]["recall"],
    "event_class_wise_f1": eb.results_class_wise_average_metrics()["f_measure"]["f_measure"],
    "segment_f1": s["f_measure"]["f_measure"], "segment_error_rate": s["error_rate"]["error_rate"],
    "segment_class_f1": {k: v["f_measure"]["f_measure"] for k, v in sb.results_class_wise_metrics().items()},
}))
"""


def scene(rng: np.random.Generator, files: int, labels: list[str]) -> dict:
    reference, estimated, durations = [], [], {}
    for f in range(files):
        name, duration = f"rec{f}.wav", 60.0
        durations[name] = duration
        for _ in range(rng.integers(5, 15)):
            label = str(rng.choice(labels))
            onset = float(rng.uniform(0, duration - 5))
            offset = onset + float(rng.uniform(0.3, 4))
            reference.append({"filename": name, "event_label": label, "onset": onset, "offset": offset})
            if rng.random() < 0.7:  # detected, with jitter: some within the collars, some not
                jitter = rng.normal(0, 0.25, 2)
                estimated.append(
                    {
                        "filename": name,
                        "event_label": label,
                        "onset": max(0.0, onset + jitter[0]),
                        "offset": max(onset + jitter[0] + 0.05, offset + jitter[1]),
                    }
                )
        for _ in range(rng.integers(0, 5)):  # false alarms
            onset = float(rng.uniform(0, duration - 3))
            estimated.append(
                {
                    "filename": name,
                    "event_label": str(rng.choice(labels)),
                    "onset": onset,
                    "offset": onset + float(rng.uniform(0.3, 2)),
                }
            )
    return {
        "labels": labels,
        "files": sorted(durations),
        "durations": durations,
        "reference": reference,
        "estimated": estimated,
    }


def earmark_side(data: dict) -> dict:
    from earmark.evaluation.events import event_metrics, segment_metrics
    from earmark.io.annotations import Annotation

    def rows(key):
        out = {name: [] for name in data["files"]}
        for r in data[key]:
            out[r["filename"]].append(Annotation(r["filename"], r["event_label"], r["onset"], r["offset"]))
        return out

    ref, est = rows("reference"), rows("estimated")
    e = event_metrics(ref, est, data["labels"])
    s = segment_metrics(ref, est, data["labels"], data["durations"])
    return {
        "event_f1": e["f1"],
        "event_precision": e["precision"],
        "event_recall": e["recall"],
        "event_class_wise_f1": e["class_wise_f1"],
        "segment_f1": s["f1"],
        "segment_error_rate": s["error_rate"],
        "segment_class_f1": {k: v["f1"] for k, v in s["per_class"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "sed-eval-venv")
    parser.add_argument("--scenes", type=int, default=20)
    args = parser.parse_args()
    python = args.venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.venv)], check=True)
        # dcase_util imports pkg_resources, which setuptools 81 dropped
        subprocess.run([str(python), "-m", "pip", "install", "-q", "sed_eval", "setuptools<81"], check=True)
    rng = np.random.default_rng(0)
    worst, where = 0.0, "-"
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.scenes):
            data = scene(rng, 3, ["dog", "bird", "car"])
            path = Path(tmp) / f"scene{n}.json"
            path.write_text(json.dumps(data))
            theirs = json.loads(
                subprocess.run(
                    [str(python), "-c", SED_SIDE, str(path)], check=True, capture_output=True, text=True
                ).stdout
            )
            ours = earmark_side(data)
            for key, value in theirs.items():
                pairs = value.items() if isinstance(value, dict) else [(None, value)]
                for label, v in pairs:
                    mine = ours[key][label] if label else ours[key]
                    if abs(mine - v) > worst:
                        worst, where = abs(mine - v), f"scene {n} {key} {label or ''}"
            print(
                f"scene {n}: sed_eval event F1 {theirs['event_f1']:.4f} earmark {ours['event_f1']:.4f}; "
                f"segment F1 {theirs['segment_f1']:.4f} / {ours['segment_f1']:.4f}; "
                f"ER {theirs['segment_error_rate']:.4f} / {ours['segment_error_rate']:.4f}"
            )
    print(f"largest difference over {args.scenes} scenes, every metric: {worst:.2e} ({where})")


if __name__ == "__main__":
    main()
