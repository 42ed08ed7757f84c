"""Turn anything a user may hand us into an :class:`~earmark.audio.Audio`.

Files, bytes and file objects are decoded by libsndfile (WAV, FLAC, OGG/Vorbis,
Opus, MP3, AIFF...) with no ffmpeg binary; formats it cannot read (m4a, aac,
webm...) go to FFmpeg's libraries through torchcodec when it is installed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..errors import AudioError, OptionError
from .blocks import open_stream, read_all
from .urls import UrlPolicy, fetch_url, is_url

__all__ = ["AUDIO_SUFFIXES", "AudioInput", "audio_files", "expand_sources", "load_audio"]

logger = logging.getLogger("earmark")

AudioInput = Any  # str | os.PathLike | bytes | BinaryIO | np.ndarray | torch.Tensor | dict | AudioDecoder | Audio
ALLOWED = (
    "a file path, URL, bytes, a binary file object, an earmark.Audio, a numpy/torch array with sample_rate=, "
    "a {'array'|'raw', 'sampling_rate'} dict, or a datasets AudioDecoder"
)
# The file types earmark picks out of a folder.
AUDIO_SUFFIXES = frozenset(
    {
        ".wav",
        ".rf64",
        ".w64",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".m4a",
        ".aac",
        ".aif",
        ".aiff",
        ".caf",
        ".webm",
        ".wma",
    }
)


def load_audio(source: AudioInput, *, sample_rate: int | None = None, url_policy: UrlPolicy | None = None) -> Audio:
    """Decode or wrap ``source`` as :class:`Audio`, keeping all its channels.

    ``sample_rate`` is required for bare numpy/torch arrays (earmark never guesses
    a rate) and must not contradict the rate of a decoded file. ``url_policy`` limits
    ``http(s)://`` inputs (default: :meth:`UrlPolicy.from_env`).
    """
    if isinstance(source, Audio):
        audio = source
    elif isinstance(source, (str, os.PathLike)):
        audio = _load_path_or_url(os.fspath(source), url_policy)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        audio = decode_bytes(bytes(source), "<bytes>")
    elif hasattr(source, "read"):
        audio = decode_bytes(source.read(), getattr(source, "name", None) or "<file object>")
    elif callable(getattr(source, "to_audio", None)):  # a labelled clip, decoded when it is needed
        audio = source.to_audio()
    elif isinstance(source, Mapping):
        audio = _from_mapping(source)
    elif hasattr(source, "get_all_samples"):  # torchcodec AudioDecoder, as datasets>=4 returns
        audio = _from_decoder(source, "<AudioDecoder>")
    elif isinstance(source, np.ndarray) or type(source).__module__.startswith("torch"):
        if sample_rate is None:
            raise AudioError(
                f"an array of shape {tuple(source.shape)} came without a sample rate; pass sample_rate=..., "
                "earmark.Audio(array, sample_rate) or {'array': array, 'sampling_rate': rate}"
            )
        return Audio(source, sample_rate)
    else:
        raise AudioError(f"cannot read audio from a {type(source).__name__}; allowed: {ALLOWED}")
    if sample_rate is not None and sample_rate != audio.sample_rate:
        raise AudioError(
            f"{audio.source or 'input'}: sample_rate={sample_rate} was given but the audio is at "
            f"{audio.sample_rate} Hz; sample_rate= is only for bare arrays"
        )
    return audio


def _load_path_or_url(text: str, url_policy: UrlPolicy | None = None) -> Audio:
    if is_url(text):
        return decode_bytes(fetch_url(text, url_policy), text)
    return decode_path(text)


def decode_bytes(data: bytes, name: str) -> Audio:
    """Decode an encoded audio file held in memory."""

    return decode_stream(open_stream(data, name))


def decode_path(path: str) -> Audio:
    """Decode a file, read in blocks (never the whole encoded file in memory as well)."""

    return decode_stream(open_stream(path))


def decode_stream(stream: Any) -> Audio:
    """An open :class:`~earmark.io.blocks.AudioStream` read whole (and closed)."""
    samples, rate, name = read_all(stream), stream.sample_rate, stream.source
    return Audio(samples.T, rate, name)


def _from_decoder(decoder: Any, name: str) -> Audio:
    samples = decoder.get_all_samples()
    return Audio(samples.data, int(samples.sample_rate), name)


def _from_mapping(item: Mapping) -> Audio:
    name = str(item.get("path") or "<dict>")
    array = item["raw"] if "raw" in item else item.get("array")
    rate = item.get("sampling_rate", item.get("sample_rate"))
    if array is not None:
        if rate is None:
            raise AudioError(f"{name}: the dict has an array but no 'sampling_rate'; both are needed")
        return Audio(array, rate, name)
    if item.get("bytes"):  # datasets with decode=False: {"path", "bytes"}
        return decode_bytes(item["bytes"], name)
    if item.get("path"):
        return _load_path_or_url(str(item["path"]))
    raise AudioError(
        f"a dict with keys {sorted(map(str, item))} is not audio; it needs 'array' (or 'raw') and 'sampling_rate', "
        "or 'bytes'/'path'"
    )


def audio_files(folder: Path) -> list[Path]:
    """Everything under a folder, recursively and sorted, that is named as audio and is not a folder;
    a broken link or a pipe with an audio name is kept, so a run reports it instead of skipping it."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and not p.is_dir())


def expand_sources(items: list[str]) -> list[str]:
    """Files and URLs as given; directories become their audio files, recursively and sorted."""
    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = [str(p) for p in audio_files(path)]
            if not found:
                raise OptionError(f"{item}: directory holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
            out.extend(found)
        else:
            out.append(item)
    return out
