"""earmark language ID vs faster-whisper's ``WhisperModel.detect_language``, same weights, same clips, same run.

Both use the offline Whisper base (CTranslate2, float32 on CPU). The clips are real speech 3-10 s long:
3 s, 5 s and 10 s cuts of the four 60 s silero samples (de/en/es/ru). earmark runs with its defaults
(VAD included, fast path on): clip by clip, batched, and clip by clip with compute_type=int8;
faster-whisper clip by clip with its CPU default (the float16 weights widened to float32).

    .venv/bin/python benchmarks/bench_language_id.py [--runs 3] [--batch-size 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from timing import median_time

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "multilingual" / "silero_vad_samples"


def make_clips(seconds: float, count_per_file: int) -> list[tuple[str, np.ndarray]]:
    from earmark import load_audio

    clips = []
    for path in sorted(SHARED.glob("*.wav")):
        audio = load_audio(path).mono().resample(16000)
        step = (audio.duration_s - seconds) / max(1, count_per_file - 1)
        for k in range(count_per_file):
            clips.append((path.stem, audio.slice_s(k * step, k * step + seconds).samples))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--per-file", type=int, default=4, help="clips cut from each 60 s recording")
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"needs {SHARED}")
    from faster_whisper import WhisperModel

    import earmark
    from earmark.engines.whisper import whisper_base_ct2

    ours = earmark.load("language-id")
    ours_int8 = earmark.load("language-id", compute_type="int8")
    theirs = WhisperModel(str(whisper_base_ct2()), device="cpu", compute_type="float32")
    (
        ours.classify(np.zeros(16000, np.float32) + 0.01, sample_rate=16000),
        theirs.detect_language(np.zeros(16000, np.float32)),
    )
    print(f"clips/s and seconds per clip; median of {args.runs} runs; threads: CTranslate2 default")
    for seconds in (3.0, 5.0, 10.0):
        clips = make_clips(seconds, args.per_file)
        audio = [earmark.Audio(x, 16000) for _, x in clips]
        t_one, p_one = median_time(lambda: [ours.classify(a) for a in audio], args.runs)
        t_batch, p_batch = median_time(lambda: ours.classify_many(audio, batch_size=args.batch_size), args.runs)
        t_fw, p_fw = median_time(lambda: [theirs.detect_language(x)[0] for _, x in clips], args.runs)
        t_int8, p_int8 = median_time(lambda: [ours_int8.classify(a) for a in audio], args.runs)
        n = len(clips)
        agree = np.mean([p.scores[0].code == fw for p, fw in zip(p_one, p_fw)])
        right_ours = np.mean([p.scores[0].code == lang for p, (lang, _) in zip(p_one, clips)])
        right_fw = np.mean([fw == lang for fw, (lang, _) in zip(p_fw, clips)])
        agree_int8 = np.mean([p.scores[0].code == fw for p, fw in zip(p_int8, p_fw)])
        right_int8 = np.mean([p.scores[0].code == lang for p, (lang, _) in zip(p_int8, clips)])
        print(
            f"{seconds:4.0f} s x{n}: earmark {t_one / n:.3f} s/clip, batched {t_batch / n:.3f} s/clip | "
            f"faster-whisper {t_fw / n:.3f} s/clip | speed-up {t_fw / t_one:.1f}x (batched {t_fw / t_batch:.1f}x) | "
            f"top-1 agreement {agree:.0%} | correct: earmark {right_ours:.0%}, faster-whisper {right_fw:.0%}\n"
            f"{'':10s}earmark int8 {t_int8 / n:.3f} s/clip, speed-up {t_fw / t_int8:.1f}x, "
            f"top-1 agreement {agree_int8:.0%}, correct {right_int8:.0%}",
            flush=True,
        )
        assert [p.label for p in p_one] == [p.label for p in p_batch]


if __name__ == "__main__":
    main()
