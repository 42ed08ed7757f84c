"""Resampling with one definition for arrays, whole files, streams and spans of files.

soxr (quality HQ) resamples the signal in pieces of ``PIECE_S`` seconds of output, each from its
input plus ``CONTEXT_S`` either side, keeping the piece's own samples. A recording up to a piece long
is one piece: exactly ``soxr.resample`` of the whole array. A longer one is the same pieces whether
it is resampled at once, streamed block by block, or read from the middle by a span on another
worker - so every path gives the same samples, bit for bit (the pieces agree with one-shot soxr to
about 1e-7, far below 16-bit quantisation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["CONTEXT_S", "PIECE_S", "piece_start", "resample", "resample_blocks"]

PIECE_S = 60.0
CONTEXT_S = 1.0


class _Pieces:
    """The piece grid of one rate pair: piece ``k`` is output samples ``[k*size, (k+1)*size)``, made
    from input frames ``[first_frame(k), last_frame(k))`` (on a frame whose time is a whole output
    sample, so the piece's output falls on the grid of the whole recording)."""

    def __init__(self, native: int, rate: int) -> None:
        g = math.gcd(native, rate)
        self.native, self.rate, self.step_in, self.step_out = native, rate, native // g, rate // g
        self.size = round(PIECE_S * rate)
        self.context = round(CONTEXT_S * native)

    def first_frame(self, k: int) -> int:
        frame = max(0, k * self.size * self.native // self.rate - self.context)
        return frame // self.step_in * self.step_in

    def last_frame(self, k: int) -> int:
        return -(-(k + 1) * self.size * self.native // self.rate) + self.context

    def output_of(self, frame: int) -> int:
        return frame // self.step_in * self.step_out

    def piece(self, k: int, frames: np.ndarray, first: int, final: bool) -> np.ndarray:
        """Piece ``k``'s samples from input ``frames`` starting at frame ``first`` (``final``: they run
        to the end of the recording, and so does the piece)."""
        import soxr

        out = soxr.resample(frames, self.native, self.rate, quality="HQ")
        lo = k * self.size - self.output_of(first)
        return out[lo:] if final else out[lo : lo + self.size]


def resample(samples: np.ndarray, native: int, rate: int) -> np.ndarray:
    """``samples`` (frames first: ``(frames,)`` or ``(frames, channels)``) at ``rate``."""
    if native == rate:
        return samples
    pieces, n, out, k = _Pieces(native, rate), len(samples), [], 0
    while True:
        first, last = pieces.first_frame(k), pieces.last_frame(k)
        final = last >= n
        out.append(pieces.piece(k, samples[first : min(last, n)], first, final))
        if final:
            return np.concatenate(out).astype(np.float32, copy=False) if len(out) > 1 else out[0]
        k += 1


def piece_start(sample: int, native: int, rate: int) -> tuple[int, int]:
    """Where to start reading a file to get its resampled samples from ``sample`` on: the native frame
    of the piece holding that sample, and that piece's first output sample (``origin`` for
    :func:`resample_blocks`)."""
    if native == rate:
        return max(0, sample), max(0, sample)
    pieces = _Pieces(native, rate)
    k = max(0, sample) // pieces.size
    return pieces.first_frame(k), k * pieces.size


def resample_blocks(blocks: Iterable[np.ndarray], native: int, rate: int, *, origin: int = 0) -> Iterator[np.ndarray]:
    """Mono blocks at ``native`` -> mono blocks at ``rate``: the pieces of :func:`resample`, in order,
    from output sample ``origin`` (a piece's first sample; the blocks start at its first frame, as
    :func:`piece_start` says)."""
    if native == rate:
        yield from blocks
        return
    pieces = _Pieces(native, rate)
    k = origin // pieces.size
    parts: list[np.ndarray] = []
    held_from, held = pieces.first_frame(k), 0  # frames held in parts, from frame held_from
    for block in blocks:
        parts.append(block)
        held += len(block)
        while held_from + held > pieces.last_frame(k):  # a frame past the piece's input: not the last piece
            frames = np.concatenate(parts) if len(parts) > 1 else parts[0]
            first, last = pieces.first_frame(k), pieces.last_frame(k)
            yield pieces.piece(k, frames[first - held_from : last - held_from], first, False)
            k += 1
            drop = pieces.first_frame(k) - held_from
            parts, held_from, held = [frames[drop:]], held_from + drop, held - drop
    if held:
        frames = np.concatenate(parts) if len(parts) > 1 else parts[0]
        first = pieces.first_frame(k)
        yield pieces.piece(k, frames[first - held_from :], first, True)
