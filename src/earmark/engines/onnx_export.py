"""One export recipe for every network earmark runs on ONNX Runtime: audio classifiers, CLAP's audio
tower and the transformers encoders ``earmark train`` uses.

A :class:`Network` says how to build the torch module (with eager attention for the TorchScript
exporter), how to call it on the extractor's features, and what comes out. :func:`export_cached`
exports it once into earmark's cache (keyed by the model's files or Hub revision, earmark's version,
the opset, the recipe and the precision), fuses it with ONNX Runtime's transformer optimiser, checks
float32 parity with torch on probe clips (refusing an export that differs by more than 1e-3, relative
to the output's scale for hidden states and embeddings), quantises it to int8 if asked and records the
int8 differences in ``parity.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ModelError, OptionError
from ..hashing import file_signature, fingerprint
from ..hub import cache_dir, pretrained
from .runtimes.onnx import cached_folder, feeds, fuse, quantize_int8, quiet, session

__all__ = [
    "COMPUTE_TYPES",
    "MODEL",
    "PARITY",
    "Network",
    "OnnxRunner",
    "audio_tower",
    "check_compute_type",
    "eager_or_default",
    "export_cached",
    "probe_clips",
]

logger = logging.getLogger("earmark")

COMPUTE_TYPES = ("float32", "int8")
OPSET = 18
TRACED_OPSET = 17  # the TorchScript exporter's
EXPORT_VERSION = 4  # bump when the export steps change: a new cache entry
FP32_TOLERANCE = 1e-3
MODEL, PARITY = "model.onnx", "parity.json"


@dataclass(frozen=True)
class Network:
    """What to export. ``build(eager)`` returns the torch module (``eager``: with eager attention, for
    the TorchScript exporter); ``call(module, inputs)`` returns the one output tensor; ``features(clips,
    tensors)`` are the extractor's inputs (``"pt"`` or ``"np"``)."""

    build: Callable[[bool], Any]
    call: Callable[[Any, dict[str, Any]], Any]
    features: Callable[[list[np.ndarray], str], Any]
    sample_rate: int
    window_s: float | None
    """None: the model takes any length (the time axis stays dynamic); else a fixed window."""
    output: str = "logits"
    """``logits`` (parity also counts top-1 agreement), ``embedding`` or ``hidden`` (cosine similarity)."""


def eager_or_default(auto_class: Any, ref: str, kwargs: dict) -> Callable[[bool], Any]:
    """``Network.build`` for a transformers class: the weights, with eager attention when asked."""
    return lambda eager: pretrained(
        auto_class, ref, "weights", **kwargs, **({"attn_implementation": "eager"} if eager else {})
    )


def check_compute_type(compute_type: str) -> None:
    if compute_type not in COMPUTE_TYPES:
        raise OptionError(f"compute_type={compute_type!r} is not allowed for onnx; use one of {COMPUTE_TYPES}")


def export_cached(ref: str, config: Any, compute_type: str, network: Callable[[], Network], *, part: str) -> Path:
    """The cache folder of ``ref``'s ``part`` (``classifier``, ``audio-tower``, ``encoder``) in
    ``compute_type``, exported first if no process has done it yet."""
    check_compute_type(compute_type)
    identity = {
        "model": getattr(config, "_commit_hash", None) or file_signature(ref) or ref,
        "ref": ref,
        "part": part,
        "earmark": __version__,
        "opset": OPSET,
        "export": EXPORT_VERSION,
        "compute_type": compute_type,
    }
    key = f"{Path(ref).name}-{part}-{compute_type}-{fingerprint(identity)}"
    folder, built = cached_folder(cache_dir() / "onnx", key, lambda work: _export(ref, network(), compute_type, work))
    logger.info("%s ONNX model %s", "exported" if built else "reusing", folder)
    return folder


class OnnxRunner:
    """An exported network's session with its cache folder and parity report."""

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        self.folder = folder
        self.session = session(folder / MODEL, threads=threads)
        self.parity = json.loads((folder / PARITY).read_text())

    @property
    def size_bytes(self) -> int:
        return (self.folder / MODEL).stat().st_size

    def run(self, inputs: Any) -> np.ndarray:
        return self.session.run(None, feeds(self.session, inputs))[0].astype(np.float32)


def audio_tower(ref: str, config: Any, extractor: Any, kwargs: dict, compute_type: str, threads: int | None):
    """CLAP's audio tower (``get_audio_features(...).pooler_output``) on ONNX Runtime."""
    from transformers import ClapModel

    from .extractors import fixed_window_s

    if getattr(config.audio_config, "enable_fusion", False):
        raise ModelError(
            f"{ref}: a fusion CLAP model (enable_fusion) picks its input path per clip and cannot be exported to "
            "ONNX; use engine='transformers'"
        )
    rate = int(extractor.sampling_rate)

    def network() -> Network:
        return Network(
            build=eager_or_default(ClapModel, ref, kwargs),
            call=lambda module, inputs: module.get_audio_features(**inputs).pooler_output,
            features=lambda clips, tensors: extractor(clips, sampling_rate=rate, return_tensors=tensors),
            sample_rate=rate,
            window_s=fixed_window_s(extractor),
            output="embedding",
        )

    return OnnxRunner(export_cached(ref, config, compute_type, network, part="audio-tower"), threads=threads)


def _export(ref: str, network: Network, compute_type: str, work: Path) -> None:
    import torch

    module = network.build(False).eval()
    probes = probe_clips(network.sample_rate, network.window_s)
    example = network.features(probes[:2], "pt")
    names = list(example.keys())
    fp32 = work / "model-fp32.onnx"
    try:
        with quiet():
            if network.window_s is None:  # any length: torch.export (dynamo) keeps the time axis dynamic
                _export_dynamo(_Positional(module, network.call, names), example, names, fp32)
            else:  # a fixed window (AST, Whisper, CLAP): the TorchScript exporter with eager attention
                eager = network.build(True).eval()
                _export_traced(_Positional(eager, network.call, names), example, names, fp32)
    except Exception as e:  # the exporters' errors are many and deep; one line says which model
        raise ModelError(f"{ref}: could not be exported to ONNX ({type(e).__name__}: {str(e)[:300]})") from e
    fused = fuse(fp32)
    with torch.inference_mode():
        expected = [network.call(module, network.features([p], "pt")).float().numpy()[0] for p in probes]
    scale = max(1.0, max(float(np.abs(e).max()) for e in expected))
    fp32_diff = _compare(session(fp32), network, probes, expected)["max_abs_diff"]
    if fp32_diff > FP32_TOLERANCE * scale:
        raise ModelError(
            f"{ref}: the ONNX export differs from torch by {fp32_diff:.2e} on its {network.output} (allowed "
            f"{FP32_TOLERANCE * scale:.1e}); use engine='transformers'"
        )
    report = {
        "compute_type": compute_type,
        "output": network.output,
        "probes": len(probes),
        "float32_max_abs_diff": fp32_diff,
        "output_scale": scale,
        "opset": OPSET if network.window_s is None else TRACED_OPSET,
        "exporter": "dynamo" if network.window_s is None else "torchscript",
        "fused": fused,
    }
    if compute_type == "int8":
        with quiet():
            quantize_int8(fp32, work / MODEL)
        fp32.unlink()
        report |= {f"int8_{k}": v for k, v in _compare(session(work / MODEL), network, probes, expected).items()}
    else:
        fp32.rename(work / MODEL)
    report |= {"torch": torch.__version__, "onnxruntime": _ort_version()}
    (work / PARITY).write_text(json.dumps(report, indent=2))


def _export_dynamo(module: Any, example: Any, names: list[str], target: Path) -> None:
    import torch

    dynamic = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    _export_onnx(
        module, example, names, target, dynamo=True, dynamic_shapes={f"x{i}": dynamic for i in range(len(names))}
    )


def _export_traced(module: Any, example: Any, names: list[str], target: Path) -> None:
    """Fixed-window models: the traced graph of eager attention runs ~1.6x faster on ONNX Runtime than
    torch.export's (AST-base, 10.24 s: 1.03 s vs 1.65 s per clip here); only the batch axis is dynamic."""
    _export_onnx(module, example, names, target, dynamo=False, dynamic_axes={n: {0: "batch"} for n in names})


def _export_onnx(module: Any, example: Any, names: list[str], target: Path, *, dynamo: bool, **axes: Any) -> None:
    import torch

    torch.onnx.export(
        module,
        tuple(example[n] for n in names),
        str(target),
        input_names=names,
        output_names=["output"],
        opset_version=OPSET if dynamo else TRACED_OPSET,
        dynamo=dynamo,
        **axes,
    )


def _Positional(network: Any, call: Callable[[Any, dict[str, Any]], Any], names: list[str]) -> Any:
    """The network with positional inputs (the exporter's dynamic shapes are keyed by position)."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, x0: torch.Tensor, x1: torch.Tensor | None = None) -> torch.Tensor:
            return call(self.network, dict(zip(names, [x0, x1][: len(names)])))

    if len(names) > 2:
        raise ModelError(f"a network with inputs {names} cannot be exported (at most two)")
    return Positional().eval()


def probe_clips(rate: int, window_s: float | None) -> list[np.ndarray]:
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


def _compare(runner: Any, network: Network, probes: list[np.ndarray], expected: list[np.ndarray]) -> dict:
    """A session against torch, clip by clip: the largest absolute difference, and top-1 agreement
    (logits) or the lowest cosine similarity of a frame or embedding (hidden states, embeddings)."""
    diffs, agree, cosines = [], 0, []
    for probe, want in zip(probes, expected):
        got = runner.run(None, feeds(runner, network.features([probe], "np")))[0][0]
        diffs.append(float(np.abs(got - want).max()))
        agree += int(np.argmax(got) == np.argmax(want))
        a, b = got.reshape(-1, got.shape[-1]), want.reshape(-1, want.shape[-1])
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cosines.append(float(np.min((a * b).sum(axis=1) / np.maximum(norms, 1e-12))))
    if network.output == "logits":
        return {"max_abs_diff": max(diffs), "top1_agreement": agree / len(probes)}
    return {"max_abs_diff": max(diffs), "min_cosine": min(cosines)}


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__
