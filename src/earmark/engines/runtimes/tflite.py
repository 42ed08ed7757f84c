"""TFLite models on ai-edge-litert (``tflite-runtime`` breaks on numpy 2)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from ...errors import missing_extra

__all__ = ["tflite_interpreter"]

logger = logging.getLogger("earmark")


def tflite_interpreter(
    path: Path, threads: int = 1, *, shape: list[int] | None = None, keep_intermediates: bool = False
):
    """An interpreter for a ``.tflite`` file, tensors allocated. TFLite's C++ runtime prints
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on the process's stderr when it first
    allocates; that line is kept back unless earmark's logger shows debug messages (``--verbose``).
    ``shape``: the input's shape, set before allocation (models whose default shape cannot run).
    ``keep_intermediates``: keep every tensor readable after ``invoke`` (for embeddings read from the
    layer before the output; the XNNPACK delegate otherwise reuses their memory)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise missing_extra("ai-edge-litert", "wake", "TFLite models") from e
    with warnings.catch_warnings():  # "intended for debugging purposes only": reading one layer is our purpose
        warnings.simplefilter("ignore", UserWarning)
        interpreter = Interpreter(
            model_path=str(path), num_threads=threads, experimental_preserve_all_tensors=keep_intermediates
        )
    if shape is not None:
        interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], shape, strict=True)
    with _quiet_native_stderr(not logger.isEnabledFor(logging.DEBUG)):
        interpreter.allocate_tensors()
    return interpreter


@contextlib.contextmanager
def _quiet_native_stderr(quiet: bool) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (native code writes there directly)."""
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
