"""Whisper's language codes and their English names."""

from __future__ import annotations

from functools import cache

__all__ = ["language_code", "language_name"]


@cache
def _names() -> dict[str, str]:
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    return {code: name.title() for code, name in LANGUAGES.items()}


def language_name(code: str) -> str:
    """``"es"`` -> ``"Spanish"``; unknown codes come back unchanged."""
    return _names().get(code, code)


def language_code(text: str) -> str | None:
    """A code (``"de"``) or English name (``"German"``, any case) -> its code, or None."""
    names = _names()
    lowered = text.strip().lower()
    if lowered in names:
        return lowered
    return next((code for code, name in names.items() if name.lower() == lowered), None)
