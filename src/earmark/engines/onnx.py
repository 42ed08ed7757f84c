"""Engine: any transformers ``AutoModelForAudioClassification`` (AST, wav2vec2, HuBERT, WavLM,
Whisper-for-classification, ...) on ONNX Runtime, in float32 or dynamically quantised int8.

The model is exported once with torch's exporter (dynamic batch axis, and a dynamic time axis for
models that take any length) into earmark's cache, keyed by the model's files (or Hub revision),
earmark's version, the opset and the precision. Parity with torch is checked at export on probe
inputs and written next to the model (``parity.json``): float32 must match torch's logits to 1e-3 or
the export is refused; int8 records its largest difference and top-1 agreement. Feature extraction is
the transformers extractor's, as on the torch engine, so scores differ only by the runtime.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ModelError, OptionError
from ..hub import cache_dir, check_local, pretrained
from ..journal import file_signature, fingerprint
from .runtimes.onnx import cached_folder, feeds, fuse, quantize_int8, quiet, session
from .transformers import TransformersClassifier

__all__ = ["COMPUTE_TYPES", "OnnxClassifier", "load"]

logger = logging.getLogger("earmark")

COMPUTE_TYPES = ("float32", "int8")
OPSET = 18
TRACED_OPSET = 17  # the TorchScript exporter's
EXPORT_VERSION = 3  # bump when the export steps change: a new cache entry
FP32_TOLERANCE = 1e-3
MODEL, PARITY = "model.onnx", "parity.json"


class OnnxClassifier(TransformersClassifier):
    """A transformers audio classifier's network on ONNX Runtime; the rest as on the torch engine."""

    engine = "onnx"

    def __init__(self, runner: Any, config: Any, feature_extractor: Any, *, name: str, folder: Path, compute_type: str):
        self.model = None
        self._configure(config, feature_extractor, name)
        self.session = runner
        self.folder = folder
        self.compute_type = compute_type
        self.parity = json.loads((folder / PARITY).read_text())

    @property
    def size_bytes(self) -> int:
        return (self.folder / MODEL).stat().st_size

    @property
    def identity(self) -> dict[str, Any]:
        return super().identity | {"export": self.folder.name}

    def _forward_padded(self, clips: list[np.ndarray]) -> np.ndarray:
        return self.session.run(None, feeds(self.session, self.features(clips, tensors="np")))[0].astype(np.float32)


def load(ref: str, options: Any) -> OnnxClassifier:
    """The onnx engine's loader (``earmark.load(ref, engine="onnx", compute_type="int8")``)."""
    from transformers import AutoConfig, AutoFeatureExtractor

    if options.compute_type not in COMPUTE_TYPES:
        raise OptionError(f"compute_type={options.compute_type!r} is not allowed for onnx; use one of {COMPUTE_TYPES}")
    check_local(ref)
    kwargs: dict[str, Any] = {"revision": options.revision, "trust_remote_code": options.trust_remote_code}
    config = pretrained(AutoConfig, ref, "config", **kwargs)
    extractor = pretrained(AutoFeatureExtractor, ref, "feature extractor", **kwargs)
    identity = {
        "model": getattr(config, "_commit_hash", None) or file_signature(ref) or ref,
        "ref": ref,
        "earmark": __version__,
        "opset": OPSET,
        "export": EXPORT_VERSION,
        "compute_type": options.compute_type,
    }
    key = f"{Path(ref).name}-{options.compute_type}-{fingerprint(identity)}"
    folder, built = cached_folder(
        cache_dir() / "onnx", key, lambda work: _export(ref, kwargs, extractor, options.compute_type, work)
    )
    logger.info("%s ONNX model %s", "exported" if built else "reusing", folder)
    runner = session(folder / MODEL, threads=options.threads)
    return OnnxClassifier(runner, config, extractor, name=ref, folder=folder, compute_type=options.compute_type)


def _export(ref: str, kwargs: dict, extractor: Any, compute_type: str, work: Path) -> None:
    import torch
    from transformers import AutoModelForAudioClassification

    reference = TransformersClassifier(
        pretrained(AutoModelForAudioClassification, ref, "weights", **kwargs).eval(), extractor, name=ref
    )
    network = reference.model
    probes = _probes(reference.sample_rate, reference.window_s)
    example = reference.features(probes[:2])
    names = list(example.keys())
    fp32 = work / "model-fp32.onnx"
    try:
        with quiet():
            if reference.window_s is None:  # any length: torch.export (dynamo) keeps the time axis dynamic
                _export_dynamo(network, example, names, fp32)
            else:  # a fixed window (AST, Whisper, CLAP): the TorchScript exporter with eager attention
                eager = pretrained(
                    AutoModelForAudioClassification, ref, "weights", **kwargs, attn_implementation="eager"
                )
                _export_traced(eager.eval(), example, names, fp32)
    except Exception as e:  # the exporters' errors are many and deep; one line says which model
        raise ModelError(f"{ref}: could not be exported to ONNX ({type(e).__name__}: {str(e)[:300]})") from e
    fused = fuse(fp32)
    with torch.inference_mode():
        expected = [network(**reference.features([p])).logits.float().numpy()[0] for p in probes]
    fp32_diff, _ = _compare(session(fp32), names, reference, probes, expected)
    if fp32_diff > FP32_TOLERANCE:
        raise ModelError(
            f"{ref}: the ONNX export differs from torch by {fp32_diff:.2e} on its logits (allowed {FP32_TOLERANCE}); "
            "use engine='transformers'"
        )
    report = {
        "compute_type": compute_type,
        "probes": len(probes),
        "float32_max_abs_diff": fp32_diff,
        "opset": OPSET if reference.window_s is None else TRACED_OPSET,
        "exporter": "dynamo" if reference.window_s is None else "torchscript",
        "fused": fused,
    }
    if compute_type == "int8":
        with quiet():
            quantize_int8(fp32, work / MODEL)
        fp32.unlink()
        diff, agreement = _compare(session(work / MODEL), names, reference, probes, expected)
        report |= {"int8_max_abs_diff": diff, "int8_top1_agreement": agreement}
    else:
        fp32.rename(work / MODEL)
    report |= {"torch": torch.__version__, "onnxruntime": _ort_version()}
    (work / PARITY).write_text(json.dumps(report, indent=2))


def _export_dynamo(network: Any, example: Any, names: list[str], target: Path) -> None:
    import torch

    dynamic = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    _export_onnx(
        network, example, names, target, dynamo=True, dynamic_shapes={f"x{i}": dynamic for i in range(len(names))}
    )


def _export_traced(network: Any, example: Any, names: list[str], target: Path) -> None:
    """Fixed-window models: the traced graph of eager attention runs ~1.6x faster on ONNX Runtime than
    torch.export's (AST-base, 10.24 s: 1.03 s vs 1.65 s per clip here); only the batch axis is dynamic."""
    _export_onnx(network, example, names, target, dynamo=False, dynamic_axes={n: {0: "batch"} for n in names})


def _export_onnx(network: Any, example: Any, names: list[str], target: Path, *, dynamo: bool, **axes: Any) -> None:
    import torch

    torch.onnx.export(
        _Wrapper(network, names).eval(),
        tuple(example[n] for n in names),
        str(target),
        input_names=names,
        output_names=["logits"],
        opset_version=OPSET if dynamo else TRACED_OPSET,
        dynamo=dynamo,
        **axes,
    )


class _Wrapper:
    """The network with positional inputs (the exporter's dynamic shapes are keyed by position)."""

    def __new__(cls, network: Any, names: list[str]) -> Any:
        import torch

        class Positional(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.network = network

            def forward(self, x0: torch.Tensor, x1: torch.Tensor | None = None) -> torch.Tensor:
                values = [x0, x1][: len(names)]
                return self.network(**dict(zip(names, values))).logits

        return Positional()


def _probes(rate: int, window_s: float | None) -> list[np.ndarray]:
    """Deterministic probe clips: noise, tones and a chirp, of different lengths."""
    rng = np.random.default_rng(0)
    length = round(min(window_s or 1.0, 2.0) * rate)
    t = np.arange(length) / rate
    clips = [
        0.3 * rng.standard_normal(length),
        0.5 * np.sin(2 * np.pi * 440 * t),
        0.2 * rng.standard_normal(length // 2),
        0.5 * np.sin(2 * np.pi * (200 + 1800 * t / t[-1]) * t),
        0.05 * rng.standard_normal(length),
        0.4 * np.sign(np.sin(2 * np.pi * 3 * t)),
    ]
    return [c.astype(np.float32) for c in clips]


def _compare(runner: Any, names: list[str], reference: Any, probes: list[np.ndarray], expected: list[np.ndarray]):
    """Largest absolute logit difference and top-1 agreement of a session against torch, clip by clip."""
    diffs, agree = [], 0
    for probe, want in zip(probes, expected):
        features = reference.features([probe], tensors="np")
        got = runner.run(None, feeds(runner, features))[0][0]
        diffs.append(float(np.abs(got - want).max()))
        agree += int(np.argmax(got) == np.argmax(want))
    return max(diffs), agree / len(probes)


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__
