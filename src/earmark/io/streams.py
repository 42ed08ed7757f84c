"""Audio streams for ``earmark listen``: a file, stdin (raw 16-bit PCM or a WAV stream), a microphone."""

from __future__ import annotations

import sys
import wave
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from ..audio import Audio
from ..errors import AudioError, missing_extra

__all__ = ["file_chunks", "mic_chunks", "stdin_chunks"]

CHUNK_S = 0.08


def file_chunks(path: str, chunk_s: float = CHUNK_S) -> Iterator[Audio]:
    """A file read in blocks (each checked as any model input is), pushed as a live stream would be,
    ``chunk_s`` at a time: constant memory for a recording of any length."""
    from ..options import ClassifyOptions
    from ..validate import block_checker
    from .blocks import open_stream

    with open_stream(path) as stream:
        check = block_checker(stream, ClassifyOptions())
        step = max(1, round(chunk_s * stream.sample_rate))
        for block in stream.blocks(frames=step):
            block = check(block)
            for start in range(0, len(block), step):
                yield Audio(block[start : start + step].T, stream.sample_rate, stream.source)


def stdin_chunks(
    stream: BinaryIO | None = None, *, sample_rate: int = 16000, chunk_s: float = CHUNK_S
) -> Iterator[Audio]:
    """Raw mono 16-bit little-endian PCM at ``sample_rate``, or a WAV stream (detected by its header)."""
    stream = stream or sys.stdin.buffer
    head = stream.read(4)
    if head == b"RIFF":
        yield from _wav_chunks(_Prefixed(head, stream), chunk_s)
        return
    step = 2 * max(1, round(chunk_s * sample_rate))
    data = head
    while True:
        more = stream.read(step - len(data)) if len(data) < step else b""
        data += more
        if len(data) >= step or (not more and data):
            usable = len(data) // 2 * 2
            if usable:
                yield Audio(np.frombuffer(data[:usable], "<i2"), sample_rate, "<stdin>")
            data = data[usable:] if len(data) >= step else b""
        if not more:
            return


class _Prefixed:
    """A stream with its first bytes put back (wave reads the header itself)."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self.prefix, self.stream = prefix, stream

    def read(self, n: int = -1) -> bytes:
        if not self.prefix:
            return self.stream.read(n)
        if 0 <= n < len(self.prefix):
            head, self.prefix = self.prefix[:n], self.prefix[n:]
            return head
        head, self.prefix = self.prefix, b""
        return head + self.stream.read(-1 if n < 0 else n - len(head))


def _wav_chunks(stream, chunk_s: float) -> Iterator[Audio]:
    try:
        reader = wave.open(stream, "rb")
    except (wave.Error, EOFError) as e:
        raise AudioError(f"<stdin>: not a readable WAV stream ({e}); send 16-bit PCM WAV or raw PCM") from e
    if reader.getsampwidth() != 2:
        raise AudioError(f"<stdin>: WAV sample width {8 * reader.getsampwidth()} bits; only 16-bit PCM is allowed")
    rate, channels = reader.getframerate(), reader.getnchannels()
    step = max(1, round(chunk_s * rate))
    while True:
        try:
            data = reader.readframes(step)
        except EOFError:
            return
        if not data:
            return
        frames = np.frombuffer(data[: len(data) // (2 * channels) * 2 * channels], "<i2").reshape(-1, channels)
        if len(frames):
            yield Audio(frames.T, rate, "<stdin>")


def mic_chunks(sample_rate: int = 16000, chunk_s: float = CHUNK_S) -> Iterator[Audio]:
    """The default microphone, mono, until interrupted."""
    try:
        import sounddevice
    except (ImportError, OSError) as e:
        raise missing_extra("sounddevice", "mic", "--mic") from e
    step = round(chunk_s * sample_rate)
    with sounddevice.InputStream(samplerate=sample_rate, channels=1, dtype="int16", blocksize=step) as stream:
        while True:
            data, _ = stream.read(step)
            yield Audio(data[:, 0].copy(), sample_rate, "<mic>")
