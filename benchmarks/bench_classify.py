"""earmark (torch, ONNX float32, ONNX int8) vs transformers.pipeline: same model, same 64 files
(32 x 1 s, 32 x 10 s), same run.

The models are full-size architectures with random weights built from the configs of the
checkpoints the seed uses: wav2vec2-base (superb/wav2vec2-base-superb-ks, on both lengths), AST-base
on Speech Commands (MIT/ast-finetuned-speech-commands-v2: a 128-frame window, on the 1 s clips) and
AST-base on AudioSet (1024 frames, 527 labels, on the 10 s clips). This machine cannot download
checkpoints, and speed does not depend on the values of the weights. Top-1 agreement checks that
both compute the same thing.

    .venv/bin/python benchmarks/bench_classify.py [--runs 3] [--models wav2vec2,ast-kws,ast] [--batch-size 8]
        [--engines torch,onnx,onnx-int8] [--pipeline-batched] [--flops]

--flops also measures this CPU's float32 matmul peak (GFLOP/s, torch, all threads) and the GFLOP/s
each earmark engine reaches on the 10 s clips (model FLOPs counted with torch's FlopCounterMode).

earmark is timed on classify_many (batched); the pipeline as the seed calls it, one file at a time
(and, with --pipeline-batched, with its own batch_size too). AST on AudioSet costs ~1 s per clip
here (it pads to 10.24 s), so the full run takes ~15 minutes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from timing import median_time

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RATE = 16000


def make_files(folder: Path) -> list[str]:
    """32 real 1 s Speech Commands clips and 32 real 10 s clips (ESC-10 pairs joined), as WAV."""
    ones = sorted((SHARED / "speech_commands").rglob("*.wav"))[::9][:32]
    oggs = sorted((SHARED / "esc10").rglob("*.ogg"))[::5][:64]
    if len(ones) < 32 or len(oggs) < 64:
        raise SystemExit(f"needs ../shared/data/speech_commands and esc10 (found {len(ones)}, {len(oggs)})")
    import soxr

    paths = []
    for i, path in enumerate(ones):
        data, rate = sf.read(path, dtype="float32")
        data = np.pad(data, (0, max(0, RATE - len(data))))[:RATE]
        paths.append(folder / f"short_{i:02d}.wav")
        sf.write(paths[-1], data, rate)
    for i in range(32):
        parts = [soxr.resample(sf.read(p, dtype="float32")[0], 44100, RATE) for p in oggs[2 * i : 2 * i + 2]]
        data = np.concatenate(parts)[: 10 * RATE]
        paths.append(folder / f"long_{i:02d}.wav")
        sf.write(paths[-1], data, RATE)
    return [str(p) for p in paths]


# Each architecture on the clips its checkpoint is made for: wav2vec2-base (keyword spotting, any
# length) on both, AST on Speech Commands (1.28 s window) on the 1 s clips, AST on AudioSet (10.24 s) on the 10 s.
CLIPS = {"wav2vec2": ("1 s", "10 s"), "ast-kws": ("1 s",), "ast": ("10 s",)}


def build(kind: str, folder: Path) -> str:
    import torch
    from transformers import (
        ASTConfig,
        ASTFeatureExtractor,
        ASTForAudioClassification,
        Wav2Vec2Config,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForSequenceClassification,
    )

    torch.manual_seed(0)

    def labels(n: int) -> dict:
        return dict(num_labels=n, id2label={i: f"label{i}" for i in range(n)})

    if kind == "ast":  # AST-base as in MIT/ast-finetuned-audioset-10-10-0.4593 (1024 frames = 10.24 s, 527 labels)
        model, extractor = ASTForAudioClassification(ASTConfig(**labels(527))), ASTFeatureExtractor()
    elif kind == "ast-kws":  # as in MIT/ast-finetuned-speech-commands-v2: 128 frames (1.28 s), 35 words
        config = ASTConfig(max_length=128, **labels(35))
        model = ASTForAudioClassification(config)
        extractor = ASTFeatureExtractor(max_length=128, mean=-6.845978, std=5.5654526)
    else:  # wav2vec2-base as in superb/wav2vec2-base-superb-ks
        model = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**labels(12)))
        extractor = Wav2Vec2FeatureExtractor()
    out = folder / kind
    model.save_pretrained(out)
    extractor.save_pretrained(out)
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", default="wav2vec2,ast-kws,ast")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--pipeline-batched", action="store_true", help="also time the pipeline with batch_size")
    parser.add_argument("--engines", default="torch,onnx,onnx-int8", help="earmark engines to time")
    parser.add_argument("--flops", action="store_true", help="matmul peak and GFLOP/s reached")
    parser.add_argument("--lengths", default="1,10", help="clip lengths to time, in seconds (1, 10 or both)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    import earmark

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; transformers {transformers.__version__}")
    peak = matmul_peak_gflops() if args.flops else None
    if peak:
        print(f"float32 matmul peak (2048 x 2048, {torch.get_num_threads()} threads): {peak:.1f} GFLOP/s")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("EARMARK_CACHE", str(Path(tmp) / "cache"))
        files = make_files(Path(tmp))
        for kind in args.models.split(","):
            model = build(kind, Path(tmp))
            engines = {name: load_engine(earmark, model, name) for name in args.engines.split(",")}
            theirs = transformers.pipeline("audio-classification", model=model, device="cpu")
            theirs(files[0])  # warm-up
            for ours in engines.values():
                ours.classify(files[0])
            sizes = ", ".join(f"{name} {m.size_bytes / 1e6:.0f} MB" for name, m in engines.items())
            flops = model_gflop(next(iter(engines.values())), files[32]) if peak else 0.0
            print(f"{kind}: {sizes}" + (f"; {flops:.1f} GFLOP per 10 s clip" if peak else ""), flush=True)
            for name, subset in (("1 s", files[:32]), ("10 s", files[32:])):
                if name not in CLIPS[kind] or name.split()[0] not in args.lengths.split(","):
                    continue
                n = len(subset)
                t_one, p_one = median_time(lambda: [theirs(f) for f in subset], args.runs)
                line = f"{kind:9s} {name:>4s} x{n}: pipeline {n / t_one:6.2f} clips/s"
                if args.pipeline_batched:
                    t_bat, _ = median_time(lambda: theirs(subset, batch_size=args.batch_size), args.runs)
                    line += f" (batch_size={args.batch_size}: {n / t_bat:6.2f})"
                reference = None
                for engine, ours in engines.items():
                    t_ours, p_ours = median_time(
                        lambda: ours.classify_many(subset, batch_size=args.batch_size), args.runs
                    )
                    reference = reference or p_ours
                    agree = np.mean([a.label == b[0]["label"] for a, b in zip(p_ours, p_one)])
                    line += (
                        f" | earmark {engine} {n / t_ours:6.2f} clips/s = {t_one / t_ours:.2f}x"
                        f" (top-1 = pipeline {agree:.0%})"
                    )
                    if peak and name == "10 s":
                        reached = flops * n / t_ours
                        line += f" [{reached:.1f} GFLOP/s, {reached / peak:.0%} of peak]"
                print(f"{line} | median of {args.runs}", flush=True)
    if peak:  # a noisy machine: a second measurement, to see whether the first was low
        print(f"float32 matmul peak at the end of the run: {matmul_peak_gflops():.1f} GFLOP/s")


def load_engine(earmark, model: str, name: str):
    engine, _, compute = name.partition("-")
    return earmark.load(
        model, engine="transformers" if engine == "torch" else engine, compute_type=compute or "float32"
    )


def matmul_peak_gflops(size: int = 2048, repeats: int = 10) -> float:
    """This CPU's float32 matmul peak: the best of torch, NumPy and ONNX Runtime's own MatMul kernel
    (MLAS, which the ONNX engines use) on 2048 x 2048, each the best of 10 timings (the machine is
    shared and noisy: the best is the peak)."""
    import time

    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper

    a, b = np.random.rand(size, size).astype(np.float32), np.random.rand(size, size).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "matmul",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [size, size]) for n in ("a", "b")],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [size, size])],
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    runner = ort.InferenceSession(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString(), options
    )
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    kernels = {
        "torch": lambda: ta @ tb,
        "numpy": lambda: a @ b,
        "onnxruntime": lambda: runner.run(None, {"a": a, "b": b}),
    }
    peaks = {}
    for name, kernel in kernels.items():
        kernel()
        best = float("inf")
        for _ in range(10):
            started = time.perf_counter()
            for _ in range(repeats):
                kernel()
            best = min(best, time.perf_counter() - started)
        peaks[name] = 2 * size**3 * repeats / best / 1e9
    print("float32 matmul GFLOP/s: " + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items()), flush=True)
    return max(peaks.values())


def model_gflop(classifier, path: str) -> float:
    """FLOPs of one forward pass of the model on one clip, counted on the torch model."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import AutoModelForAudioClassification

    import earmark

    network = AutoModelForAudioClassification.from_pretrained(classifier.name).eval()
    audio = earmark.load_audio(path).mono().resample(classifier.sample_rate).samples
    inputs = classifier.features([audio])
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():  # (inference_mode breaks wav2vec2's weight-norm parametrisation here)
        network(**inputs)
    return counter.get_total_flops() / 1e9


if __name__ == "__main__":
    main()
