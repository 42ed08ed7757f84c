"""Read CTranslate2's ``model.bin``: a header, then named variables with dtype and shape.

Layout (binary version 6, little-endian): ``u32 version``, ``str spec``, ``u32 revision``,
``u32 count``, then per variable ``str name, u8 rank, u32 dims[rank], u8 dtype, u32 nbytes, data``,
then ``u32 aliases`` of ``str alias, str target``. A ``str`` is ``u16 length`` + bytes ending in NUL.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...errors import ModelError

__all__ = ["read_ct2"]

SUPPORTED_VERSIONS = (5, 6)
# CTranslate2's DataType enum; bfloat16 is widened to float32 (numpy has no bfloat16).
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}


def read_ct2(path: str | Path) -> tuple[str, dict[str, np.ndarray]]:
    """The spec name (e.g. ``WhisperSpec``) and every variable, aliases resolved."""
    path = Path(path)
    with open(path, "rb") as f:
        version = _u(f, "<I")
        if version not in SUPPORTED_VERSIONS:
            raise ModelError(f"{path}: CTranslate2 binary version {version} is not supported ({SUPPORTED_VERSIONS})")
        spec = _str(f)
        _u(f, "<I")  # spec revision
        variables = {}
        for _ in range(_u(f, "<I")):
            name = _str(f)
            shape = tuple(_u(f, "<I") for _ in range(_u(f, "<B")))
            dtype = _u(f, "<B")
            size = _u(f, "<I")
            data = f.read(size)
            if len(data) != size:
                raise ModelError(f"{path}: the file ends early in variable {name} (truncated?)")
            variables[name] = _array(data, dtype, shape, name)
        for _ in range(_u(f, "<I")):
            alias, target = _str(f), _str(f)
            variables[alias] = variables[target]
    return spec, variables


def _u(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    raw = f.read(size)
    if len(raw) != size:
        raise ModelError(f"{getattr(f, 'name', 'model.bin')}: the file ends early (truncated?)")
    return struct.unpack(fmt, raw)[0]


def _str(f: BinaryIO) -> str:
    return f.read(_u(f, "<H")).rstrip(b"\0").decode("utf-8")


def _array(data: bytes, dtype: int, shape: tuple[int, ...], name: str) -> np.ndarray:
    if dtype not in DTYPES:
        raise ModelError(f"variable {name}: unknown CTranslate2 dtype {dtype}")
    if DTYPES[dtype] == "bfloat16":
        return (np.frombuffer(data, np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return np.frombuffer(data, DTYPES[dtype]).reshape(shape)
