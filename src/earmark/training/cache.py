"""Encoder frames computed once per clip and kept in a ``.npz`` beside the run: a rerun, another head or
another fold reuses them, and an interrupted run resumes (the file is replaced atomically)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..atomic import atomic_file
from ..errors import EarmarkError, OptionError
from ..io.clips import LabelledClip
from ..results import Failure

__all__ = ["cache_file", "encode_clips"]

SAVE_EVERY = 200  # clips between saves of a growing cache

logger = logging.getLogger("earmark")


def encode_clips(
    clips: Sequence[LabelledClip], encoder, cache: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[list[np.ndarray | None], list[Failure]]:
    """Frames for every clip, from the cache where it has them; new ones are added to it as they come.
    A clip that cannot be decoded gets None and a :class:`Failure`: it is left out, never fatal."""
    stored = _load(cache)
    failed: list[Failure] = []
    fresh = 0
    for n, clip in enumerate(clips, start=1):
        if clip.key not in stored:
            try:
                stored[clip.key] = encoder.frames(clip.decode()).astype(np.float16)
            except EarmarkError as e:
                failed.append(Failure.of(clip.key, e))
                logger.warning("left out of training: %s", failed[-1].error)
                continue
            fresh += 1
            if fresh % SAVE_EVERY == 0:  # resumable: an interrupted run keeps what it computed
                _save(cache, stored)
        if progress:
            progress(n, len(clips))
    if fresh:
        _save(cache, stored)
    return [stored[c.key].astype(np.float32) if c.key in stored else None for c in clips], failed


def _load(cache: Path) -> dict[str, np.ndarray]:
    if not cache.exists():
        return {}
    try:
        with np.load(cache) as stored:
            return dict(stored)
    except (OSError, ValueError, EOFError) as e:
        raise OptionError(
            f"{cache}: the frame cache is damaged ({e}); delete it and the frames are computed again"
        ) from e


def cache_file(folder: Path, encoder: str) -> Path:
    """The cache of one encoder's frames in a folder."""
    return folder / f"frames-{re.sub(r'[^A-Za-z0-9._-]+', '_', encoder).strip('_')}.npz"


def _save(cache: Path, stored: dict[str, np.ndarray]) -> None:
    with atomic_file(cache) as sink:
        np.savez(sink, **stored)
