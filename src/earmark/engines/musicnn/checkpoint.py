"""Read a TensorFlow checkpoint (tensor bundle) without TensorFlow.

A bundle is two files: ``PREFIX.index``, an SSTable (LevelDB's table format) mapping each variable's
name to a ``BundleEntryProto`` (dtype, shape, shard, offset, size), and ``PREFIX.data-00000-of-00001``
with the raw little-endian tensors one after another.

SSTable layout: data blocks, a meta-index block, an index block, then a 48-byte footer (two block
handles as varints, padding, an 8-byte magic). A block is prefix-compressed entries
(``shared, unshared, value_length`` varints, the key's new bytes, the value) followed by the restart
offsets; each block on disk is followed by a one-byte compression type and a CRC. TensorFlow writes
bundles uncompressed.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ...errors import ModelError

__all__ = ["read_checkpoint"]

MAGIC = 0xDB4775248B80FB57  # LevelDB's table magic number
FOOTER_BYTES = 48
BLOCK_TRAILER_BYTES = 5
# TensorFlow's DataType enum values that checkpoints of float models hold.
DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_, 19: np.float16}


def read_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of the checkpoint ``prefix`` (``dir/`` or ``dir/model.ckpt``), by variable name."""
    prefix = str(prefix)
    index, data = Path(prefix + ".index"), Path(prefix + ".data-00000-of-00001")
    for path in (index, data):
        if not path.is_file():
            raise ModelError(f"TensorFlow checkpoint {prefix!r}: {path.name} is missing")
    table = index.read_bytes()
    blob = data.read_bytes()
    tensors = {}
    for key, value in _table_entries(table, index):
        if not key:  # the empty key holds the BundleHeaderProto
            continue
        entry = _entry(value)
        if entry.get(3, 0) != 0:
            raise ModelError(f"{index}: {key!r} is in shard {entry[3]}; only single-shard checkpoints are read")
        dtype = DTYPES.get(entry.get(1, 0))
        if dtype is None:
            raise ModelError(f"{index}: {key!r} has TensorFlow dtype {entry.get(1)}, not one earmark reads")
        offset, size = entry.get(4, 0), entry.get(5, 0)
        if offset + size > len(blob):
            raise ModelError(f"{data}: {key!r} lies past the end of the file (truncated checkpoint)")
        array = np.frombuffer(
            blob, dtype=np.dtype(dtype).newbyteorder("<"), count=size // np.dtype(dtype).itemsize, offset=offset
        )
        tensors[key.decode()] = array.reshape(entry.get("shape", ())).copy()
    return tensors


def _table_entries(table: bytes, path: Path) -> list[tuple[bytes, bytes]]:
    if len(table) < FOOTER_BYTES or struct.unpack_from("<Q", table, len(table) - 8)[0] != MAGIC:
        raise ModelError(f"{path}: not a TensorFlow checkpoint index (no SSTable footer)")
    footer = table[len(table) - FOOTER_BYTES :]
    _, pos = _handle(footer, 0)  # meta-index block: unused
    (index_offset, index_size), _ = _handle(footer, pos)
    entries = []
    for _, handle in _block(table, index_offset, index_size, path):
        (offset, size), _ = _handle(handle, 0)
        entries.extend(_block(table, offset, size, path))
    return entries


def _block(table: bytes, offset: int, size: int, path: Path) -> list[tuple[bytes, bytes]]:
    if offset + size + BLOCK_TRAILER_BYTES > len(table) or table[offset + size] != 0:
        raise ModelError(f"{path}: a block is out of range or compressed (TensorFlow writes bundles uncompressed)")
    block = table[offset : offset + size]
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 * (restarts + 1)
    entries, key, pos = [], b"", 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + length]))
        pos += length
    return entries


def _handle(data: bytes, pos: int) -> tuple[tuple[int, int], int]:
    offset, pos = _varint(data, pos)
    size, pos = _varint(data, pos)
    return (offset, size), pos


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _entry(message: bytes) -> dict:
    """The fields of a ``BundleEntryProto`` earmark uses: 1 dtype, 2 shape, 3 shard, 4 offset, 5 size."""
    fields: dict = {}
    pos = 0
    while pos < len(message):
        tag, pos = _varint(message, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            fields[number], pos = _varint(message, pos)
        elif wire == 2:
            length, pos = _varint(message, pos)
            if number == 2:
                fields["shape"] = _shape(message[pos : pos + length])
            pos += length
        elif wire == 5:
            pos += 4  # crc32c
        elif wire == 1:
            pos += 8
        else:
            raise ModelError(f"unexpected protobuf wire type {wire} in a checkpoint entry")
    return fields


def _shape(message: bytes) -> tuple[int, ...]:
    """``TensorShapeProto``: repeated field 2 ``Dim`` whose field 1 is the size."""
    dims, pos = [], 0
    while pos < len(message):
        tag, pos = _varint(message, pos)
        if tag & 7 == 2:
            length, pos = _varint(message, pos)
            if tag >> 3 == 2:
                dim, sub = 0, message[pos : pos + length]
                p = 0
                while p < len(sub):
                    t, p = _varint(sub, p)
                    if t & 7 == 0:
                        v, p = _varint(sub, p)
                        if t >> 3 == 1:
                            dim = v
                    else:
                        n, p = _varint(sub, p)
                        p += n
                dims.append(dim)
            pos += length
        else:
            _, pos = _varint(message, pos)
    return tuple(dims)
