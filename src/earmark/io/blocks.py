"""Read an audio file in blocks: constant memory whatever its length.

libsndfile formats (WAV, RF64, FLAC, Ogg, MP3, AIFF...) are read with its own seeks and block reads;
others (m4a, aac, webm...) go through FFmpeg's libraries (torchcodec) a range at a time. Every check
of the whole-file decoder holds: a header that claims more than the file holds, damaged data (raised
as :class:`AudioError` where the damage is met, after the blocks before it), and a stream that ends
short of its header's count. :func:`model_blocks` then downmixes and resamples block by block, with
the samples the whole file resampled at once has (:mod:`earmark.io.resample`).
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AudioError

__all__ = ["AudioStream", "model_blocks", "open_stream"]

logger = logging.getLogger("earmark")

BLOCK_FRAMES = 1 << 16
WHOLE_READ_FRAMES = 1 << 18
FFMPEG_BLOCK_S = 30.0


# libsndfile's log for a WAV/AIFF/RF64 whose header claims more bytes than the file holds.
_HEADER_SHORT = re.compile(r"^\s*(data|SSND|RIFF|FORM|Riff size) : (\d+) \(should be (\d+)\)", re.MULTILINE)
# libsndfile's log for an Ogg stream (Vorbis, Opus) cut before its end (or mid-page).
_OGG_CUT = ("File ended unexpectedly", "lacks an end-of-stream bit", "Junk after the last page")
# Decoded frames may fall this far short of a header's count (MP3 encoder delay and padding).
SHORT_TOLERANCE_S = 0.1
_OS_ERRORS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop)",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOTDIR: "a part of the path is not a directory",
}
# Streaming writers leave these placeholders in the header: not a truncation.
_STREAMED_SIZES = {0, 0xFFFFFFFF, 0x7FFFFFFF}


def check_regular_file(text: str) -> None:
    """Refuse anything but a non-empty regular file (a directory, a FIFO, a device, a loop) with an AudioError."""
    try:
        info = os.stat(text)
    except OSError as e:
        raise AudioError(f"{text}: {_OS_ERRORS.get(e.errno, e.strerror or type(e).__name__)}") from e
    if stat.S_ISDIR(info.st_mode):
        raise AudioError(f"{text}: is a directory; pass audio files (the CLI expands directories)")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise AudioError(f"{text}: not a regular file (a pipe, socket or device); pass an audio file")
    if info.st_size == 0:
        raise AudioError(f"{text}: the file is empty (0 bytes)")


class _Bytes(io.BytesIO):
    """A damaged file can make libsndfile seek before its start: stay put instead of raising inside
    libsndfile's callback (which can only print the error), and let the decoder report the damage."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return super().seek(offset, whence)
        except ValueError:
            return self.tell()


def _check_not_truncated(log: str, name: str) -> None:
    for match in _HEADER_SHORT.finditer(log):
        declared, present = int(match[2]), int(match[3])
        if declared not in _STREAMED_SIZES and declared > present + 8:
            raise AudioError(
                f"{name}: the file is truncated (its header says {declared} bytes in {match[1]}, {present} are there)"
            )
    if any(marker in log for marker in _OGG_CUT):
        raise AudioError(f"{name}: the file is truncated (the Ogg stream ends without its end marker)")


def _first_line(error: Exception) -> str:
    """The gist of a decoder error: its first line, without a C++ source location or a bug-report URL."""
    lines = [ln.strip() for ln in str(error).strip().splitlines() if ln.strip() and "://" not in ln]
    text = lines[0] if lines else type(error).__name__
    text = re.sub(r"^.*\.cpp:\d+, ", "", text)
    return re.sub(r"Error opening <[^>]*>: ", "", text)[:200]


class _File(io.FileIO):
    """A damaged file can make libsndfile seek before its start: stay put (as the in-memory decoder
    does) and let libsndfile report the damage instead of printing an error from its callback."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return super().seek(offset, whence)
        except (OSError, ValueError):
            return self.tell()


@dataclass
class AudioStream:
    """An open audio file: its rate, channels and declared length, read block by block."""

    source: str
    sample_rate: int
    channels: int
    declared_frames: int | None
    format: str
    _reader: Any
    _file: Any = None

    @property
    def duration_s(self) -> float | None:
        """The length the header declares (None when it does not say)."""
        return None if self.declared_frames is None else self.declared_frames / self.sample_rate

    def blocks(self, start: int = 0, *, frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """Blocks ``(frames, channels)`` of float32 from frame ``start`` to the end."""
        if self.format == "ffmpeg":
            yield from _ffmpeg_blocks(self, start)
        else:
            yield from _sndfile_blocks(self, start, frames)

    def close(self) -> None:
        if self.format != "ffmpeg":
            self._reader.close()
            self._file.close()

    def __enter__(self) -> AudioStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_stream(source: str | bytes, name: str | None = None) -> AudioStream:
    """Open a regular file (a path) or encoded bytes for block reading, with the same refusals as the
    whole-file decoder; ``name`` names bytes in messages."""
    import soundfile as sf

    if isinstance(source, (bytes, bytearray)):
        name = name or "<bytes>"
        if not source:
            raise AudioError(f"{name}: the data is empty (0 bytes)")
        raw: Any = _Bytes(bytes(source))
    else:
        name = source
        check_regular_file(source)
        try:
            raw = _File(source, "rb")
        except OSError as e:
            raise AudioError(f"{source}: {_OS_ERRORS.get(e.errno, e.strerror or type(e).__name__)}") from e
    try:
        reader = sf.SoundFile(raw)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:  # not a libsndfile format: FFmpeg's turn
        logger.debug("libsndfile could not open %s (%s); trying FFmpeg", name, e)
        raw.close()
        return _open_ffmpeg(source, name, e)
    try:
        _check_not_truncated(reader.extra_info, name)
    except AudioError:
        reader.close()
        raw.close()
        raise
    if reader.format == "MP3" and has_ffmpeg():
        # libsndfile 1.2.2's MPEG decoder returns zeros after the end of every read that is not the
        # whole file (measured: 6,595 of 882,000 samples in 2^18-frame reads); FFmpeg decodes MP3 in
        # ranges with the same samples as libsndfile's one whole read (within 1.2e-6).
        declared = reader.frames if 0 < reader.frames < 2**62 else None
        reader.close()
        raw.close()
        stream = _open_ffmpeg(source, name, RuntimeError("MP3"))
        stream.declared_frames = declared or stream.declared_frames  # the MP3's own (Xing) frame count
        return stream
    declared = reader.frames if 0 < reader.frames < 2**62 else None
    return AudioStream(name, reader.samplerate, reader.channels, declared, reader.format, reader, raw)


def read_all(stream: AudioStream) -> np.ndarray:
    """Every frame, ``(frames, channels)``: the whole-file decode, from the same blocks."""
    with stream:
        blocks = list(stream.blocks(frames=WHOLE_READ_FRAMES))
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _sndfile_blocks(stream: AudioStream, start: int, frames: int) -> Iterator[np.ndarray]:
    import soundfile as sf

    reader, name = stream._reader, stream.source
    if stream.format == "MP3":  # without FFmpeg: one read of it all (see open_stream)
        frames = max(frames, (stream.declared_frames or 0) + stream.sample_rate)
    if start:
        reader.seek(start)
    read = 0
    while True:
        try:  # the format is known: a failure now is damage, and FFmpeg must not paper over it
            block = reader.read(frames, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            at = (start + read) / stream.sample_rate
            raise AudioError(f"{name}: the {stream.format} data is damaged or truncated at {at:.1f} s ({e})") from e
        if not len(block):
            break
        read += len(block)
        yield block
    _check_length(stream, start, read)


def has_ffmpeg() -> bool:
    """Whether FFmpeg's decoder (torchcodec) imports; the first call pays its import (torch: seconds), so a
    server calls this while it starts rather than on its first m4a or undecodable upload."""
    try:
        from torchcodec.decoders import AudioDecoder  # noqa: F401
    except (ImportError, OSError, RuntimeError):
        return False
    return True


def _open_ffmpeg(source: str | bytes, name: str, why: Exception) -> AudioStream:
    try:
        from torchcodec.decoders import AudioDecoder
    except (ImportError, OSError, RuntimeError) as e:
        raise AudioError(
            f"{name}: not readable as audio by libsndfile ({_first_line(why)}); for m4a/aac/webm and other formats "
            "install FFmpeg's libraries (apt-get install ffmpeg) and pip install 'earmark[datasets]'"
        ) from e
    try:
        decoder = AudioDecoder(source)
        meta = decoder.metadata
        if not meta.sample_rate:
            raise ValueError("no audio stream")
    except (RuntimeError, ValueError) as e:
        raise AudioError(
            f"{name}: not a decodable audio file (libsndfile: {_first_line(why)}; FFmpeg: {_first_line(e)})"
        ) from e
    rate = int(meta.sample_rate)
    duration = meta.duration_seconds_from_header
    declared = round(duration * rate) if duration else None
    return AudioStream(name, rate, int(meta.num_channels or 1), declared, "ffmpeg", decoder)


def _ffmpeg_blocks(stream: AudioStream, start: int) -> Iterator[np.ndarray]:
    t, read = start / stream.sample_rate, 0
    end = stream.duration_s
    while end is None or t < end:
        try:
            samples = stream._reader.get_samples_played_in_range(t, t + FFMPEG_BLOCK_S).data.numpy()
        except RuntimeError as e:
            if read and "No audio frames were decoded" in str(e):
                break  # past the last packet (the header's duration was longer)
            raise AudioError(f"{stream.source}: FFmpeg could not decode it at {t:.1f} s ({_first_line(e)})") from e
        if samples.shape[-1] == 0:
            break
        read += samples.shape[-1]
        yield np.ascontiguousarray(samples.T, dtype=np.float32)
        t += FFMPEG_BLOCK_S
    _check_length(stream, start, read)


def _check_length(stream: AudioStream, start: int, read: int) -> None:
    """No samples, or far fewer than the header promises: an AudioError (MP3 encoders' delay and
    padding make a small shortfall normal)."""
    if start == 0 and read == 0:
        raise AudioError(f"{stream.source}: decoding gave no samples (a truncated or empty file?)")
    declared, rate = stream.declared_frames, stream.sample_rate
    if declared and declared - (start + read) > max(SHORT_TOLERANCE_S * rate, 0.01 * declared):
        raise AudioError(
            f"{stream.source}: the file is truncated (its header promises {declared} frames, {start + read} decoded)"
        )


def model_blocks(
    stream: AudioStream,
    sample_rate: int,
    *,
    start: int = 0,
    origin: int = 0,
    check: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """Mono float32 blocks at ``sample_rate``, read from native frame ``start``, the first being output
    sample ``origin`` (both from :func:`earmark.io.resample.piece_start`; 0 and 0: the whole file).

    The channels are averaged, then resampled by :func:`earmark.io.resample.resample_blocks`: the
    same samples as resampling the whole file at once. ``check`` sees each native block first (the
    sample-value checks) and may return it scaled."""
    from .resample import resample_blocks

    def mono() -> Iterator[np.ndarray]:
        for block in stream.blocks(start):
            if check is not None:
                block = check(block)
            yield block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)

    yield from resample_blocks(mono(), stream.sample_rate, sample_rate, origin=origin)
