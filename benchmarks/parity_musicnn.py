"""earmark's musicnn (checkpoint reader + torch network, no TensorFlow) vs musicnn's own ``extractor()``
(TensorFlow 2.15 in a throw-away virtualenv), on the same real music, in the same run.

Excerpts: ``--seconds`` from the middle of the first ``--excerpts`` tracks of Debian's
``wesnoth-1.16-music`` (orchestral, GPL-2+; fetched with apt-get download, kept out of the repository),
written as 44.1 kHz WAV so both sides decode the same samples; each side resamples to 16 kHz itself
(librosa's soxr_hq / earmark's soxr HQ). Printed per model: the largest difference of the mean tag
scores, top-5 agreement, and the speed of each side (x real time, model load excluded).

    .venv/bin/python benchmarks/parity_musicnn.py [--excerpts 8] [--seconds 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from reference import debian_music, run_reference

REFERENCE = r"""
import json, sys, time
import numpy as np
from musicnn.extractor import extractor
payload = json.load(open(sys.argv[1]))
out = {}
for model in payload["models"]:
    out[model] = {"scores": [], "seconds": 0.0}
    for path in payload["files"]:
        start = time.perf_counter()
        taggram, tags = extractor(path, model=model, extract_features=False)
        out[model]["seconds"] += time.perf_counter() - start
        out[model]["scores"].append(taggram.mean(axis=0).tolist())
        out[model]["tags"] = tags
print(json.dumps(out))
"""
MODELS = {"MTT_musicnn": "musicnn-mtt", "MSD_musicnn": "musicnn-msd"}


def excerpts(count: int, seconds: float, folder: Path) -> list[Path]:
    import soundfile as sf

    from earmark import load_audio

    paths = []
    for track in debian_music()[:count]:
        audio = load_audio(track).mono()
        middle = audio.duration_s / 2
        clip = audio.slice_s(max(0.0, middle - seconds / 2), middle + seconds / 2)
        path = folder / f"{track.stem}.wav"
        sf.write(path, clip.samples, clip.sample_rate, subtype="FLOAT")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--excerpts", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    import earmark

    with tempfile.TemporaryDirectory() as tmp:
        files = excerpts(args.excerpts, args.seconds, Path(tmp))
        reference = run_reference(REFERENCE, {"files": [str(f) for f in files], "models": list(MODELS)})
        audio_s = len(files) * args.seconds
        print(f"{len(files)} excerpts x {args.seconds:.0f} s of {', '.join(f.stem for f in files)}")
        print(
            "| model | max mean-score difference | top-5 same | top-1 same | earmark x real time | "
            "musicnn (TF) x real time |"
        )
        print("|---|---|---|---|---|---|")
        for original, name in MODELS.items():
            model = earmark.load(name)
            start = time.perf_counter()
            ours = [model(str(f), top_k=None) for f in files]
            ours_s = time.perf_counter() - start
            theirs = np.array(reference[original]["scores"])
            assert tuple(reference[original]["tags"]) == model.labels, "tag names differ"
            mine = np.array([[dict((s.label, s.score) for s in p.scores)[t] for t in model.labels] for p in ours])
            top5 = sum(set(np.argsort(-a)[:5]) == set(np.argsort(-b)[:5]) for a, b in zip(mine, theirs))
            top1 = int(np.sum(mine.argmax(1) == theirs.argmax(1)))
            print(
                f"| {name} | {np.abs(mine - theirs).max():.2e} | {top5}/{len(files)} | {top1}/{len(files)} | "
                f"{audio_s / ours_s:.0f}x | {audio_s / reference[original]['seconds']:.0f}x |"
            )
            for f, row in zip(files, mine):
                best = ", ".join(f"{model.labels[i]} {row[i]:.2f}" for i in np.argsort(-row)[:5])
                print(f"    {f.stem}: {best}")


if __name__ == "__main__":
    main()
