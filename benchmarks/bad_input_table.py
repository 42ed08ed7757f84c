"""The bad-input corpus (tests/bad_inputs.py) through the Python API: one row per case with what came
back (a result, or the error type and its one-line message), the seconds it took and how much the
process grew; then the two heavy cases timed alone: an hour-long recording and a WAV header that claims
terabytes of frames.

    .venv/bin/python benchmarks/bad_input_table.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bad_inputs  # noqa: E402
import tiny_models  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import soundfile as sf

    import earmark

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        classifier = earmark.load(tiny_models.BUILDERS["ast"](folder / "ast"))
        print("| case | expected | outcome | seconds |")
        print("|---|---|---|---|")
        mismatches = 0
        for name, expected, make in bad_inputs.cases():
            source = make(folder)
            started = time.perf_counter()
            try:
                prediction = classifier(source)
                outcome = f"ok: {prediction.label} ({prediction.duration_s:.2f} s of audio)"
                kind = "ok"
            except earmark.EarmarkError as e:
                kind = type(e).__name__
                outcome = f"{kind}: {str(e)[:110]}"
            mismatches += kind != expected
            print(f"| {name} | {expected} | {outcome.replace('|', '/')} | {time.perf_counter() - started:.2f} |")
        print(f"\n{mismatches} case(s) where the outcome differs from the documented one")

        hour = folder / "hour.flac"
        rng = np.random.default_rng(0)
        with sf.SoundFile(hour, "w", 16000, 1, format="FLAC") as sink:
            for _ in range(60):
                sink.write((rng.standard_normal(16000 * 60) * 0.05).astype(np.float32))
        before, started = peak_mb(), time.perf_counter()
        p = classifier(str(hour), window_s=10.0)
        print(
            f"hour-long FLAC: {p.duration_s / 3600:.2f} h, {len(p.timeline)} timeline segments, "
            f"{time.perf_counter() - started:.1f} s, peak RSS {before:.0f} -> {peak_mb():.0f} MB"
        )

        huge = folder / "huge.wav"
        data = bytearray(bad_inputs.encoded("WAV", "PCM_16", 1.0))
        at = data.index(b"data") + 4
        data[at : at + 4] = (0xFFFFFFF0).to_bytes(4, "little")  # a data chunk claiming ~4 GB
        data[4:8] = (0xFFFFFFF8).to_bytes(4, "little")
        huge.write_bytes(bytes(data))
        before, started = peak_mb(), time.perf_counter()
        try:
            outcome = f"ok ({classifier(str(huge)).duration_s:.2f} s of audio)"
        except earmark.EarmarkError as e:
            outcome = f"{type(e).__name__}: {e}"
        print(
            f"WAV header claiming 4 GB: {outcome[:160]}; {time.perf_counter() - started:.2f} s, "
            f"peak RSS {before:.0f} -> {peak_mb():.0f} MB"
        )


if __name__ == "__main__":
    main()
