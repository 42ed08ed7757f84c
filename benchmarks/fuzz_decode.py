"""Mutation fuzzing of earmark's input path: decode -> check -> classify, on mutated real files.

Seeds are real files of each container libsndfile writes (WAV, RF64, AIFF, FLAC, Ogg Vorbis, Opus,
MP3); each input is one to three random edits of a seed (tests/bad_inputs.py: ``mutate``). A failure
is any exception that is not an ``EarmarkError``, an input that takes longer than ``--per-input-s``,
or the process growing past ``--max-rss-gb``. A true hang is caught by faulthandler, which dumps the
stack and exits. The model is a tiny random AST (what is tested is the input path, not the model).

    .venv/bin/python benchmarks/fuzz_decode.py --seconds 600
"""

from __future__ import annotations

import argparse
import faulthandler
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bad_inputs  # noqa: E402
import tiny_models  # noqa: E402


def run(seconds: float, per_input_s: float, max_rss_gb: float, seed: int) -> tuple[int, list[str], Counter]:
    import earmark
    from earmark import EarmarkError

    classifier = earmark.load(tiny_models.BUILDERS["ast"](Path(tempfile.mkdtemp()) / "ast"))
    starts = bad_inputs.seeds()
    names = sorted(starts)
    rng = np.random.default_rng(seed)
    failures: list[str] = []
    outcomes: Counter = Counter()
    tried = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        name = names[int(rng.integers(len(names)))]
        data = bad_inputs.mutate(starts[name], rng)
        faulthandler.dump_traceback_later(max(30.0, 10 * per_input_s), exit=True)  # a real hang ends the run
        began = time.monotonic()
        try:
            classifier.classify(data)
            outcomes["classified"] += 1
        except EarmarkError as e:
            outcomes[type(e).__name__] += 1
        except Exception as e:  # noqa: BLE001 (this is what the fuzzer looks for)
            failures.append(f"{name}: {type(e).__name__}: {e}"[:300])
        finally:
            faulthandler.cancel_dump_traceback_later()
        took = time.monotonic() - began
        if took > per_input_s:
            failures.append(f"{name}: took {took:.1f} s")
        if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > max_rss_gb * 1024**3:
            failures.append(f"{name}: peak memory over {max_rss_gb} GB")
            break
        tried += 1
    return tried, failures, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="fuzzing budget")
    parser.add_argument("--per-input-s", type=float, default=5.0)
    parser.add_argument("--max-rss-gb", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tried, failures, outcomes = run(args.seconds, args.per_input_s, args.max_rss_gb, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{tried} mutated inputs in {args.seconds:.0f} s; outcomes: {dict(outcomes)}; peak RSS {peak:.0f} MB")
    print(f"{len(failures)} failures")
    for failure in failures[:50]:
        print("  " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
