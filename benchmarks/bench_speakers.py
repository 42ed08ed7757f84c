"""Speaker identification and verification with the ``speaker`` encoder (GE2E) on the shared recordings.

- FSDD (5 speakers): enrol 5 clips per speaker (one of each digit 0-4, take 0), test every other clip:
  closed-set accuracy (the nearest centroid), the share of known-speaker clips accepted at the enrolment's
  own threshold, and open-set rejection with each speaker left out of enrolment in turn (the share of its
  clips answered ``unknown``);
- Speech Commands (speaker = the file-name prefix; every speaker with >= 2 clips): enrol each speaker's
  first clip, test the rest (closed-set accuracy among those speakers);
- both: the equal error rate on all same/different pairs of test clips.

Embeddings are computed once per clip with the encoder the speaker engine runs; scoring is the engine's
(cosine to each centroid, ``unknown`` at the threshold ``earmark enroll`` chooses).

    .venv/bin/python benchmarks/bench_speakers.py [--test-per-speaker 100]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def embed_all(paths: list[Path]) -> tuple[np.ndarray, float, float]:
    """Unit embeddings, seconds spent, seconds of audio."""
    from earmark.engines.ge2e import GE2EEncoder
    from earmark.io.decode import load_audio

    encoder = GE2EEncoder()
    audio = [load_audio(str(p)) for p in paths]
    start = time.perf_counter()
    vectors = np.stack([encoder.embed(a) for a in audio])
    return vectors, time.perf_counter() - start, sum(a.duration_s for a in audio)


def eer(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """Equal error rate and its threshold: where false accepts equal false rejects."""
    order = np.argsort(scores)
    s, y = scores[order], same[order]
    false_reject = np.cumsum(y) / y.sum()  # genuine pairs at or below each threshold
    false_accept = 1 - np.cumsum(~y) / (~y).sum()
    i = int(np.argmin(np.abs(false_reject - false_accept)))
    return float((false_reject[i] + false_accept[i]) / 2), float(s[i])


def pair_eer(vectors: np.ndarray, speakers: np.ndarray) -> tuple[float, float, int]:
    rows, cols = np.triu_indices(len(vectors), 1)
    scores = np.einsum("ij,ij->i", vectors[rows], vectors[cols])
    rate, threshold = eer(scores, speakers[rows] == speakers[cols])
    return rate, threshold, len(rows)


def identify(enrol: np.ndarray, enrol_names: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Each test clip's nearest speaker and best cosine, and the enrolment's threshold."""
    from earmark.engines.speakers import Enrolment
    from earmark.training.enroll import DEFAULT_THRESHOLD, choose_threshold

    enrolment = Enrolment(enrol, tuple(enrol_names), tuple(map(str, range(len(enrol)))))
    threshold = choose_threshold(enrolment)[0]
    cosines = test @ enrolment.centroids().T
    names = np.array(enrolment.names)
    return names[cosines.argmax(axis=1)], cosines.max(axis=1), threshold if threshold is not None else DEFAULT_THRESHOLD


def fsdd(per_speaker: int) -> None:
    root = DATA / "fsdd" / "recordings"
    files = sorted(root.glob("*.wav"))
    who = np.array([f.name.split("_")[1] for f in files])
    enrol_mask = np.array([re.fullmatch(r"[0-4]_[a-z]+_0\.wav", f.name) is not None for f in files])
    test_idx = [i for s in sorted(set(who)) for i in np.flatnonzero((who == s) & ~enrol_mask)[:per_speaker]]
    chosen = list(np.flatnonzero(enrol_mask)) + test_idx
    vectors, seconds, audio_s = embed_all([files[i] for i in chosen])
    n_enrol = int(enrol_mask.sum())
    enrol, test = vectors[:n_enrol], vectors[n_enrol:]
    enrol_names, test_names = who[chosen[:n_enrol]], who[test_idx]
    guess, best, threshold = identify(enrol, enrol_names, test)
    t_ok = threshold
    print(
        f"FSDD: {len(set(who))} speakers, {n_enrol} enrolment clips, {len(test)} test clips "
        f"({audio_s:.0f} s embedded at {audio_s / seconds:.0f}x real time)"
    )
    print(
        f"  closed-set accuracy {np.mean(guess == test_names):.4f}; threshold {threshold:.3f}: known accepted "
        f"{np.mean(best >= threshold):.4f}, right and accepted {np.mean((guess == test_names) & (best >= t_ok)):.4f}"
    )
    rejected, accepted = [], []
    for out in sorted(set(who)):
        keep = enrol_names != out
        g, b, t = identify(enrol[keep], enrol_names[keep], test)
        stranger = test_names == out
        rejected.append(np.mean(b[stranger] < t))
        accepted.append(np.mean(b[~stranger] >= t))
        print(
            f"  {out} left out: threshold {t:.3f}, rejected as unknown {rejected[-1]:.4f}, "
            f"known accepted {accepted[-1]:.4f}"
        )
    print(
        f"  open set, mean over left-out speakers: rejected {np.mean(rejected):.4f}, known accepted "
        f"{np.mean(accepted):.4f}"
    )
    rate, at, pairs = pair_eer(test, test_names)
    print(f"  EER {rate:.4f} at cosine {at:.3f} on {pairs} pairs")


def speech_commands() -> None:
    files = sorted((DATA / "speech_commands").rglob("*.wav"))
    who = np.array([f.name.split("_")[0] for f in files])
    names, counts = np.unique(who, return_counts=True)
    keep = set(names[counts >= 2])
    files, who = [f for f, w in zip(files, who) if w in keep], np.array([w for w in who if w in keep])
    vectors, seconds, audio_s = embed_all(files)
    first = np.array([i == int(np.flatnonzero(who == w)[0]) for i, w in enumerate(who)])
    guess, best, _ = identify(vectors[first], who[first], vectors[~first])
    print(
        f"Speech Commands: {len(keep)} speakers with >= 2 clips, {len(files)} clips "
        f"({audio_s:.0f} s at {audio_s / seconds:.0f}x real time)"
    )
    print(
        f"  closed-set accuracy (1 enrolment clip each) {np.mean(guess == who[~first]):.4f} on {(~first).sum()} clips"
    )
    rate, at, pairs = pair_eer(vectors, who)
    print(f"  EER {rate:.4f} at cosine {at:.3f} on {pairs} pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-per-speaker", type=int, default=100)
    args = parser.parse_args()
    fsdd(args.test_per_speaker)
    speech_commands()


if __name__ == "__main__":
    main()
