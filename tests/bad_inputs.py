"""A corpus of broken, odd and hostile inputs, generated at test time (no binary blobs in the repo).

Each case is ``(name, expected, make)``: ``make(folder)`` writes the input and returns its path (or
URL); ``expected`` is ``"ok"`` (a result) or the earmark error type the input must raise. Used by
``test_bad_inputs.py`` and by ``benchmarks/fuzz_decode.py`` (whose seeds are the valid cases).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000
OK = "ok"
AUDIO = "AudioError"


def tone(seconds: float, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def encoded(fmt: str, subtype: str, seconds: float = 2.0, rate: int = RATE, data: np.ndarray | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, tone(seconds, rate) if data is None else data, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def write(name: str, data: bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        (folder / name).write_bytes(data)
        return str(folder / name)

    return make


def wav_with(rate: int | None = None, channels: int | None = None, bits: int | None = None) -> bytes:
    """A valid 16-bit WAV whose fmt chunk is then overwritten with other values."""
    data = bytearray(encoded("WAV", "PCM_16", 0.5))
    fmt = data.index(b"fmt ") + 8
    if channels is not None:
        struct.pack_into("<H", data, fmt + 2, channels)
    if rate is not None:
        struct.pack_into("<I", data, fmt + 4, rate)
    if bits is not None:
        struct.pack_into("<H", data, fmt + 14, bits)
    return bytes(data)


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def ffmpeg(suffix: str, codec: list[str]) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        source = folder / f"ffmpeg-source-{suffix}.wav"
        sf.write(source, tone(2.0), RATE)
        target = folder / f"encoded.{suffix}"
        command = ["ffmpeg", "-v", "error", "-y", "-i", str(source), *codec, str(target)]
        subprocess.run(command, check=True, timeout=60)
        source.unlink()
        return str(target)

    return make


def special(kind: str) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = folder / {"dir": "folder.wav", "fifo": "pipe.wav", "loop": "loop.wav", "dangling": "gone.wav"}[kind]
        if kind == "dir":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "loop":
            os.symlink(folder / "loop-b.wav", path)
            os.symlink(path, folder / "loop-b.wav")
        else:
            os.symlink(folder / "never-there.wav", path)
        return str(path)

    return make


def odd_name(name: str) -> Callable[[Path], str]:
    return write(name, encoded("WAV", "PCM_16", 0.5))


def values(samples: np.ndarray, subtype: str = "FLOAT") -> bytes:
    return encoded("WAV", subtype, data=samples)


def cases(has_ffmpeg: bool | None = None) -> list[tuple[str, str, Callable[[Path], str]]]:
    """Every file case; URL cases need a server and live in the test."""
    has_ffmpeg = shutil.which("ffmpeg") is not None if has_ffmpeg is None else has_ffmpeg
    silence = np.zeros(RATE, np.float32)
    out = [
        # containers, valid
        ("wav pcm16", OK, write("pcm16.wav", encoded("WAV", "PCM_16"))),
        ("wav pcm24", OK, write("pcm24.wav", encoded("WAV", "PCM_24"))),
        ("wav pcm32", OK, write("pcm32.wav", encoded("WAV", "PCM_32"))),
        ("wav u8", OK, write("u8.wav", encoded("WAV", "PCM_U8"))),
        ("wav float", OK, write("float.wav", encoded("WAV", "FLOAT"))),
        ("wav stereo", OK, write("stereo.wav", encoded("WAV", "PCM_16", data=np.stack([tone(1), tone(1)], 1)))),
        ("wav 8 kHz", OK, write("8k.wav", encoded("WAV", "PCM_16", rate=8000))),
        ("wav 96 kHz", OK, write("96k.wav", encoded("WAV", "PCM_16", rate=96000))),
        ("rf64", OK, write("long.rf64", encoded("RF64", "PCM_16"))),
        ("aiff", OK, write("sound.aiff", encoded("AIFF", "PCM_16"))),
        ("flac", OK, write("sound.flac", encoded("FLAC", "PCM_16"))),
        ("ogg vorbis", OK, write("sound.ogg", encoded("OGG", "VORBIS"))),
        ("opus", OK, write("sound.opus", encoded("OGG", "OPUS", rate=48000))),
        ("mp3", OK, write("sound.mp3", encoded("MP3", "MPEG_LAYER_III", rate=44100))),
        # broken headers
        ("wav header 1 Hz", AUDIO, write("rate1.wav", wav_with(rate=1))),
        ("wav header 10 MHz", AUDIO, write("rate10m.wav", wav_with(rate=10_000_000))),
        ("wav header 0 channels", AUDIO, write("ch0.wav", wav_with(channels=0))),
        ("wav header 0 bits", AUDIO, write("bits0.wav", wav_with(bits=0))),
        ("wav header 128 bits", AUDIO, write("bits128.wav", wav_with(bits=128))),
        ("wav header 13 bits (valid bits in 16-bit words)", OK, write("bits13.wav", wav_with(bits=13))),
        ("wav garbled magic", AUDIO, write("magic.wav", b"RIFX" + wav_with()[4:])),
        # truncation
        ("wav truncated", AUDIO, write("cut.wav", truncated(encoded("WAV", "PCM_16")))),
        ("aiff truncated", AUDIO, write("cut.aiff", truncated(encoded("AIFF", "PCM_16")))),
        ("rf64 truncated", AUDIO, write("cut.rf64", truncated(encoded("RF64", "PCM_16")))),
        ("flac truncated", AUDIO, write("cut.flac", truncated(encoded("FLAC", "PCM_16")))),
        ("ogg truncated", AUDIO, write("cut.ogg", truncated(encoded("OGG", "VORBIS")))),
        ("opus truncated", AUDIO, write("cut.opus", truncated(encoded("OGG", "OPUS", rate=48000)))),
        ("mp3 truncated", AUDIO, write("cut.mp3", truncated(encoded("MP3", "MPEG_LAYER_III", rate=44100)))),
        # sample values
        ("nan samples", AUDIO, write("nan.wav", values(np.full(RATE, np.nan, np.float32)))),
        ("inf samples", AUDIO, write("inf.wav", values(np.full(RATE, np.inf, np.float32)))),
        ("floats around 900", AUDIO, write("loud.wav", values(tone(1.0, amplitude=900.0)))),
        ("floats peak 1.5", OK, write("hot.wav", values(tone(1.0, amplitude=1.5)))),
        ("silence", OK, write("silence.wav", values(silence, "PCM_16"))),
        ("dc offset", OK, write("dc.wav", values(np.full(RATE, 0.7, np.float32), "PCM_16"))),
        ("clipping", OK, write("clip.wav", values(np.sign(tone(1.0)) * 1.0, "PCM_16"))),
        # lengths
        ("one sample", OK, write("one.wav", values(np.array([0.1], np.float32), "PCM_16"))),
        ("5 ms", OK, write("5ms.wav", values(tone(0.005), "PCM_16"))),
        ("10 ms", OK, write("10ms.wav", values(tone(0.01), "PCM_16"))),
        ("30 s", OK, write("30s.flac", encoded("FLAC", "PCM_16", seconds=30.0, rate=8000))),
        ("10 minutes", OK, write("10min.flac", encoded("FLAC", "PCM_16", seconds=600.0, rate=8000))),
        # not audio
        ("empty file", AUDIO, write("empty.wav", b"")),
        ("text as wav", AUDIO, write("text.wav", b"hello, this is not audio\n" * 20)),
        ("png as mp3", AUDIO, write("image.mp3", b"\x89PNG\r\n\x1a\n" + bytes(200))),
        ("random bytes", AUDIO, write("random.flac", np.random.default_rng(0).bytes(4096))),
        ("json as ogg", AUDIO, write("data.ogg", b'{"audio": false}')),
        # file system
        ("directory", AUDIO, special("dir")),
        ("fifo", AUDIO, special("fifo")),
        ("symlink loop", AUDIO, special("loop")),
        ("dangling symlink", AUDIO, special("dangling")),
        ("unicode name", OK, odd_name("grüße 音.wav")),
        ("spaces and dash", OK, odd_name("-a name with spaces.wav")),
    ]
    if has_ffmpeg:
        out += [
            ("m4a", OK, ffmpeg("m4a", ["-c:a", "aac", "-b:a", "64k"])),
            ("webm", OK, ffmpeg("webm", ["-c:a", "libopus"])),
        ]
    return out


SEED_FORMATS = (
    ("seed.wav", "WAV", "PCM_16", RATE),
    ("seed.rf64", "RF64", "PCM_16", RATE),
    ("seed.aiff", "AIFF", "PCM_16", RATE),
    ("seed.flac", "FLAC", "PCM_16", RATE),
    ("seed.ogg", "OGG", "VORBIS", RATE),
    ("seed.opus", "OGG", "OPUS", 48000),
    ("seed.mp3", "MP3", "MPEG_LAYER_III", 44100),
)


def seeds(seconds: float = 0.5) -> dict[str, bytes]:
    """One real file of each container libsndfile writes: the fuzzer's starting points."""
    return {name: encoded(fmt, sub, seconds, rate) for name, fmt, sub, rate in SEED_FORMATS}


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to three random edits of the kinds real damage makes: flipped bytes, an overwritten header
    field, a cut, an inserted or repeated run, a zeroed range."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 6))
        at = int(rng.integers(0, max(1, len(out))))
        if kind == 0:  # flip a few bytes anywhere
            for i in rng.integers(0, len(out), size=int(rng.integers(1, 9))):
                out[int(i)] ^= int(rng.integers(1, 256))
        elif kind == 1 and len(out) > 8:  # a header field (first 64 bytes) overwritten with an extreme value
            at = int(rng.integers(0, min(60, len(out) - 4)))
            out[at : at + 4] = struct.pack("<I", int(rng.choice([0, 1, 7, 0x7FFFFFFF, 0xFFFFFFFF, 10**7])))
        elif kind in (1, 2):  # cut (also what a header edit of a tiny input becomes)
            del out[at:]
        elif kind == 3:  # random bytes inserted
            out[at:at] = rng.bytes(int(rng.integers(1, 64)))
        elif kind == 4:  # a run repeated
            end = min(len(out), at + int(rng.integers(1, 512)))
            out[at:at] = out[at:end]
        else:  # a range zeroed
            end = min(len(out), at + int(rng.integers(1, 256)))
            out[at:end] = bytes(end - at)
        if not out:
            break
    return bytes(out)
