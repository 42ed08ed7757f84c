"""ONNX Runtime for earmark's engines: sessions with their threads set on purpose, dynamic int8
quantisation, and a cache of exported models that several processes can share.

A cache entry is a folder named by a key (the model's identity, earmark's version, the exporter's
opset, the precision). It is built in a private temporary folder and renamed into place in one
step, so a reader never sees half a model and two processes exporting at once cannot corrupt it:
the second rename finds the folder there and its own copy is dropped.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...errors import missing_extra

__all__ = ["cached_folder", "feeds", "fuse", "physical_cores", "quantize_int8", "quiet", "session"]

logger = logging.getLogger("earmark")


def physical_cores() -> int:
    """Cores, not hyper-threads (ONNX Runtime's intra-op threads gain nothing from the second)."""
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1


def session(path: Path, *, threads: int | None = None) -> Any:
    """An inference session on the CPU: ``threads`` intra-op threads (default: the physical cores),
    one inter-op thread (the graphs are sequential), every graph optimisation."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise missing_extra("onnxruntime", "onnx", "the ONNX Runtime engine") from e
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: its warnings would garble the CLI
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


_DTYPES = {"tensor(float)": "float32", "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(bool)": "bool"}


def feeds(runner: Any, arrays: Any) -> dict[str, Any]:
    """A session's inputs from a mapping of arrays, each cast to the type the graph declares."""
    return {i.name: arrays[i.name].astype(_DTYPES.get(i.type, "float32"), copy=False) for i in runner.get_inputs()}


def fuse(path: Path) -> bool:
    """ONNX Runtime's transformer fusions (GELU, bias + GELU, skip + layer norm) written into the file:
    ~10% faster on wav2vec2-base, and kernels the int8 quantiser then leaves alone. The exported
    graph is kept where the optimiser fails; parity is checked after either way."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with quiet():
            optimized = optimize_model(str(path), model_type="bert", num_heads=0, hidden_size=0, opt_level=1)
            optimized.save_model_to_file(str(path))
        return True
    except Exception as e:  # an optimisation, never a reason to fail an export
        logger.info("ONNX Runtime's transformer fusions did not apply to %s (%s)", path, e)
        return False


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul/Gemm weights only: convolutional front ends
    (wav2vec2's feature encoder) stay float, where ConvInteger is slow or missing in ONNX Runtime."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        op_types_to_quantize=["MatMul", "Gemm"],
        weight_type=QuantType.QInt8,
        # fused contrib ops (BiasGelu, SkipLayerNormalization) have no shape inference: their outputs are float
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )


def cached_folder(root: Path, key: str, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """``root/key``, built once by ``build(folder)``; returns the folder and whether this call built it."""
    final = root / key
    if (final / "complete").exists():
        return final, False
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        build(work)
        (work / "complete").write_text("ok\n")
        try:
            os.rename(work, final)  # atomic; fails if another process put the folder there first
        except OSError:
            if not (final / "complete").exists():
                raise
            logger.info("another process exported %s first; using its copy", key)
            return final, False
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final, True


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The exporter and the quantiser print progress, deprecation notes and advice to stdout, warnings
    and the root logger; an export is one log line of earmark's instead."""
    loggers = [logging.getLogger(name) for name in ("", "torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [one.level for one in loggers]
    for one in loggers:
        one.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for one, level in zip(loggers, levels):
            one.setLevel(level)
