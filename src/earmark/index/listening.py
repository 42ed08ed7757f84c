"""A window's audio and spectrogram for review, read only from files the index holds.

A window is found by its id in the index; its file is the path the index recorded, and it is read
only if, with every symlink resolved, it lies inside one of the corpus folders ``embed`` recorded
(``roots.json``: the folders of the files it embedded). No request parameter ever names a file.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomic
from ..errors import EarmarkError
from .store import Index

__all__ = ["NotInIndex", "add_roots", "spectrogram_png", "window_audio", "window_wav"]

ROOTS = "roots.json"
_ID = re.compile(r"^[0-9a-f]{16}$")
CONTEXT_S = 1.0


class NotInIndex(EarmarkError, LookupError):
    """A window id that is not in the index, or whose file is outside the corpus."""


def add_roots(index: Index, paths: list[str]) -> None:
    """Record the folders of these files as corpus folders (their parents, resolved)."""
    file = index.path / ROOTS
    roots = set(json.loads(file.read_text())) if file.is_file() else set()
    roots |= {str(Path(p).parent.resolve()) for p in paths}
    write_atomic(file, json.dumps(sorted(roots)))


def _inside_corpus(index: Index, path: str) -> Path:
    file = index.path / ROOTS
    roots = [Path(r) for r in json.loads(file.read_text())] if file.is_file() else []
    real = Path(path).resolve()
    if not real.is_file() or not any(real.is_relative_to(root) for root in roots):
        raise NotInIndex("that window's file is not in the corpus")
    return real


def window_audio(index: Index, wid: str, context_s: float = CONTEXT_S) -> tuple[np.ndarray, int, float, dict]:
    """Mono samples of window ``wid`` with ``context_s`` either side, their rate, where they start
    (s) and the window's row."""
    from ..io.blocks import open_stream

    if not isinstance(wid, str) or not _ID.match(wid):
        raise NotInIndex("no such window")
    row = index.by_ids([wid]).get(wid)
    if row is None:
        raise NotInIndex("no such window")
    real = _inside_corpus(index, row["path"])
    start_s = max(0.0, row["start_s"] - context_s)
    with open_stream(str(real)) as stream:
        rate = stream.sample_rate
        first, want = round(start_s * rate), round((row["end_s"] + context_s - start_s) * rate)
        parts, got = [], 0
        for block in stream.blocks(first):
            parts.append(block.mean(axis=1))
            got += len(block)
            if got >= want:
                break
    samples = np.concatenate(parts)[:want] if parts else np.zeros(0, np.float32)
    return samples.astype(np.float32), rate, start_s, row


def window_wav(index: Index, wid: str) -> bytes:
    import soundfile as sf

    samples, rate, _, _ = window_audio(index, wid)
    out = io.BytesIO()
    sf.write(out, np.clip(samples, -1, 1), rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


def spectrogram_png(index: Index, wid: str) -> bytes:
    """A log-magnitude spectrogram (0-12 kHz at most) of the window and its context, the window
    itself between two white lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    samples, rate, start_s, row = window_audio(index, wid)
    n_fft, hop = 1024, 256
    if len(samples) < n_fft:
        samples = np.pad(samples, (0, n_fft - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, n_fft)[::hop] * np.hanning(n_fft)
    power = 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-6)
    top = min(power.shape[0], int(12000 / (rate / n_fft)) + 1)
    figure, axes = plt.subplots(figsize=(6, 2.4), dpi=80)
    duration = len(samples) / rate
    axes.imshow(
        power[:top],
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(start_s, start_s + duration, 0, top * rate / n_fft / 1000),
        vmin=power.max() - 80,
        vmax=power.max(),
    )
    for edge in (row["start_s"], row["end_s"]):
        axes.axvline(edge, color="white", linewidth=1)
    axes.set_xlabel("s")
    axes.set_ylabel("kHz")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def describe(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "path", "start_s", "end_s", "recorded_at", "site")}
