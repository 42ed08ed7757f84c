"""Accuracy of earmark's language ID on the shared real recordings, per language and window length.

- whole recordings: the twelve files of ../shared/data/multilingual, classified as they are;
- windows: 3 s, 5 s and 10 s cuts (only recordings at least that long), with the fast path (encode
  only the audio there, at least 5 s) and with Whisper's full 30 s padding;
- non-speech: every ESC-10 clip (dog barks, rain, chainsaws...), which should come out ``unknown``.

    .venv/bin/python benchmarks/eval_language_id.py [--engine ct2|transformers]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def code_of(path: Path) -> str:
    return path.stem.split("_")[-1]


def windows_accuracy(clf, paths: list[Path], seconds: float) -> str:
    from earmark import load_audio

    right, total = collections.Counter(), collections.Counter()
    for path in paths:
        audio = load_audio(path).mono().resample(16000)
        cuts = [audio.slice_s(s, s + seconds) for s in np.arange(0, audio.duration_s - seconds + 1e-6, seconds)]
        for p in clf.classify_many(cuts, abstain_below=None):
            total[code_of(path)] += 1
            right[code_of(path)] += bool(p.scores) and p.scores[0].code == code_of(path)
    per = ", ".join(f"{c} {right[c]}/{total[c]}" for c in sorted(total))
    return f"{sum(right.values())}/{sum(total.values())} ({sum(right.values()) / sum(total.values()):.1%}): {per}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="ct2")
    args = parser.parse_args()
    import earmark

    clf = earmark.load("language-id", engine=args.engine)
    paths = sorted((DATA / "multilingual").glob("*/*.wav"))
    whole = clf.classify_many(paths)
    print("whole recordings:", ", ".join(f"{code_of(p)}->{r.scores[0].code}" for p, r in zip(paths, whole)))
    print(f"  {sum(r.scores[0].code == code_of(p) for p, r in zip(paths, whole))}/{len(paths)} right")
    for seconds in (3.0, 5.0, 10.0):
        for fast in (True, False):
            clf.fast = fast
            print(
                f"{seconds:.0f} s windows, {'fast' if fast else 'full 30 s'}: {windows_accuracy(clf, paths, seconds)}"
            )
    clf.fast = True
    esc = sorted((DATA / "esc10").rglob("*.ogg"))
    answers = collections.Counter(p.label for p in clf.classify_many(esc))
    print(f"ESC-10 non-speech ({len(esc)} clips): {answers['unknown']} unknown; others: {dict(answers.most_common(6))}")


if __name__ == "__main__":
    main()
