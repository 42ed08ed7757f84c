"""Seeded synthetic audio and paths to the shared real recordings."""

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]  # the repository root
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a clean skip when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def tone(freq: float = 440.0, seconds: float = 1.0, rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float = 1.0, rate: int = 16000, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * rate)) * 0.1).astype(np.float32)
