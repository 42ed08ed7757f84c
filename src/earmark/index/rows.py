"""What an index holds: its settings, its window ids, and the rows a search returns."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Hit", "IndexSettings", "window_id"]


def window_id(key: str, start_s: float) -> str:
    """The stable id of the window of ``key`` (a path or dataset row) starting at ``start_s``."""
    return hashlib.blake2b(f"{key}@{start_s:.4f}".encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class IndexSettings:
    """What every vector of an index was made with."""

    encoder: str
    window_s: float
    hop_s: float
    dim: int
    sample_rate: int
    std: bool
    """Whether rows hold the frames' standard deviation too (encoders with several frames per window)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    """One search result: a window, its cosine similarity to the query, and where it was recorded."""

    id: str
    path: str
    start_s: float
    end_s: float
    score: float
    recorded_at: str | None = None
    site: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
