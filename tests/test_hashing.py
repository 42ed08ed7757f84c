"""File hashes, model signatures and settings fingerprints."""

import hashlib

from earmark.hashing import file_sha256, file_signature, fingerprint


def test_hashes_follow_the_content(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    assert file_sha256(model / "w.bin") == hashlib.sha256(b"weights").hexdigest()
    before = file_signature(model)
    (model / "w.bin").write_bytes(b"other weights")
    assert file_signature(model) != before and file_signature(model)[0][0] == "w.bin"
    assert file_signature("org/not-a-path") is None


def test_fingerprints_ignore_key_order():
    assert fingerprint({"a": 1, "b": [2]}) == fingerprint({"b": [2], "a": 1}) != fingerprint({"a": 2, "b": [2]})
