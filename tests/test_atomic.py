"""Atomic writes: the target is the old file or the new one, never half of one; no partial file is left."""

import pytest

from earmark.atomic import atomic_file, write_atomic


def test_a_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "t.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]


def test_an_error_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.bin"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as sink:
        sink.write(b"half of the new")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]
