"""TFLite models on ai-edge-litert (``tflite-runtime`` breaks on numpy 2)."""

from __future__ import annotations

from pathlib import Path

from ...errors import missing_extra

__all__ = ["tflite_interpreter"]


def tflite_interpreter(path: Path, threads: int = 1):
    """An (unallocated) interpreter for a ``.tflite`` file."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise missing_extra("ai-edge-litert", "wake", "TFLite models") from e
    return Interpreter(model_path=str(path), num_threads=threads)
