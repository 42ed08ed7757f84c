"""One unit of ``embed``'s work: a file (or a span of a long one, or a dataset row) cut into the
index's windows as it is decoded, each window's encoder frames pooled into a row of the index.

Windows are the generic plan (:func:`earmark.windows.plan_windows`: every ``hop_s``, the last one
aligned to the file's end, a file shorter than a window one window) over the stream of blocks, so a
long file is read in constant memory and a span holds exactly the windows that start in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..audio import Audio
from ..batch.inputs import Item
from ..errors import EarmarkError
from ..options import ClassifyOptions
from ..windows import Grid, plan_windows, stream_windows
from .rows import IndexSettings, window_id

__all__ = ["embed_items", "query_windows"]

BATCH = 32
"""Windows encoded at once."""


def _plan(rate: int, settings: IndexSettings) -> Any:
    def plan(n: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return [(span, span) for span in plan_windows(n, rate, settings.window_s, settings.hop_s)]

    return plan


def item_windows(item: Item, rate: int, settings: IndexSettings) -> Iterator[tuple[tuple[int, int], np.ndarray]]:
    """``((start, end), samples)`` of the item's windows, samples mono at ``rate``."""
    from ..io.blocks import model_blocks, open_stream
    from ..io.decode import load_audio
    from ..io.resample import piece_start
    from ..validate import block_checker

    grid = Grid(max(1, round(settings.window_s * rate)), max(1, round(settings.hop_s * rate)))
    if item.source is not None:  # a dataset row: decoded whole
        audio = load_audio(item.source).mono().resample(rate)
        for span, extent in _plan(rate, settings)(audio.num_samples):
            yield span, audio.samples[extent[0] : extent[1]]
        return
    stream = open_stream(item.key)
    first, stop, frame, origin = 0, None, 0, 0
    if item.span is not None:
        first, stop = item.span.window_range(grid.hop, rate)
        frame, origin = piece_start(grid.window_at(first)[1][0], stream.sample_rate, rate)
    with stream:
        check = block_checker(stream, ClassifyOptions())
        blocks = model_blocks(stream, rate, start=frame, origin=origin, check=check)
        yield from stream_windows(blocks, grid, _plan(rate, settings), origin=origin, first=first, stop=stop)


def embed_items(encoder: Any, items: list[tuple[Item, Any]], settings: IndexSettings) -> list[dict[str, Any]]:
    """Each ``(item, recording info)``'s rows (``id``, ``path``, ``start_s``, ``end_s``,
    ``recorded_at``, ``site``, ``vector`` and ``std`` as float32 arrays) and error, in order; the
    windows before damage met mid-file are kept. Windows are encoded ``BATCH`` at a time across
    items, so a chunk of short clips fills the model's batch as a long file does."""
    rate = encoder.sample_rate
    pending: list[tuple[list[dict[str, Any]], Item, Any, tuple[int, int], np.ndarray]] = []

    def flush() -> None:
        mean, std = encoder.window_stats([clip for *_, clip in pending])
        for (rows, item, info, (a, b), _), m, s in zip(pending, mean, std):
            start_s, end_s = a / rate, b / rate
            rows.append(
                {
                    "id": window_id(item.key, start_s),
                    "path": item.key,
                    "start_s": start_s,
                    "end_s": end_s,
                    "recorded_at": info.recorded_at(start_s) if info is not None else None,
                    "site": info.site if info is not None else None,
                    "vector": m.astype(np.float32),
                    "std": s.astype(np.float32),
                }
            )
        pending.clear()

    out = []
    for item, info in items:
        rows: list[dict[str, Any]] = []
        error = None
        try:
            for span, clip in item_windows(item, rate, settings):
                pending.append((rows, item, info, span, clip))
                if len(pending) == BATCH:
                    flush()
        except (EarmarkError, OSError) as e:  # damaged or unreadable audio; anything else is a bug and raises
            error = f"{type(e).__name__}: {e}".splitlines()[0]
        out.append({"unit": item.unit, "path": item.key, "rows": rows, "error": error})
    if pending:
        flush()
    return out


def query_windows(encoder: Any, audio: Audio, settings: IndexSettings) -> np.ndarray:
    """Unit-length vectors ``(windows, dim)`` of a query clip cut into the index's windows."""
    rate = encoder.sample_rate
    samples = audio.mono().resample(rate).samples
    clips = [samples[a:b] for a, b in plan_windows(len(samples), rate, settings.window_s, settings.hop_s)]
    vectors = np.concatenate([encoder.window_stats(clips[i : i + BATCH])[0] for i in range(0, len(clips), BATCH)])
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
