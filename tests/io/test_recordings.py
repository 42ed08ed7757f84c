"""When and where: each metadata source, on a real WAV file written here, gives the same recorded_at."""

import logging
import struct
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import soundfile as sf

from earmark import OptionError
from earmark.io.recordings import Recordings, read_recordings_csv, recording_info, week_of, with_csv

START = datetime(2024, 5, 1, 5, 30, 0, tzinfo=timezone.utc)
EXPECTED = "2024-05-01T05:30:10.500+00:00"  # 10.5 s into the recording


def _wav(path, **metadata):
    with sf.SoundFile(path, "w", 8000, 1, "PCM_16", format="WAV") as f:
        for key, value in metadata.items():
            setattr(f, key, value)
        f.write(np.zeros(8000, np.float32))
    return path


def test_guano(tmp_path):
    guano = pytest.importorskip("guano")
    path = _wav(tmp_path / "rec.wav")
    meta = guano.GuanoFile(str(path))
    meta["Timestamp"] = datetime(2024, 5, 1, 7, 30, 0, tzinfo=timezone(timedelta(hours=2)))
    meta["Loc Position"] = (52.5, 13.4)
    meta["Site Name"] = "marsh"
    meta.write()
    info = recording_info(path)
    assert info.source == "guano" and info.recorded_at(10.5) == EXPECTED and info.note is None
    assert (info.site, info.lat, info.lon) == ("marsh", 52.5, 13.4)


def test_audiomoth_comment(tmp_path):
    comment = "Recorded at 07:30:00 01/05/2024 (UTC+2) by AudioMoth 24F319055FE6D5C8 at medium gain."
    info = recording_info(_wav(tmp_path / "5F3A1B20.WAV", comment=comment))
    assert info.source == "audiomoth" and info.recorded_at(10.5) == EXPECTED


def test_bwf_bext_is_local_time_and_says_so(tmp_path):
    path = _wav(tmp_path / "take.wav")
    data = path.read_bytes()
    bext = bytearray(602)
    bext[320:338] = b"2024-05-0107:30:00"
    chunk = b"bext" + struct.pack("<I", len(bext)) + bytes(bext)
    body = data[12:] + chunk
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    info = recording_info(path, tz="Europe/Berlin")  # CEST: UTC+2 on 1 May
    assert info.source == "bext" and info.recorded_at(10.5) == EXPECTED and "taken as Europe/Berlin" in info.note
    assert sf.info(path).frames == 8000  # the file is still a readable WAV


@pytest.mark.parametrize(
    ("name", "site"),
    [("20240501_053000.WAV", None), ("NORTH_20240501_053000.wav", "NORTH"), ("SITE_A_20240501T053000.flac", "SITE_A")],
)
def test_file_names(tmp_path, name, site):
    info = recording_info(tmp_path / name)
    assert info.source == "filename" and info.site == site and info.recorded_at(10.5) == EXPECTED
    assert "no UTC offset; taken as UTC" in info.note


def test_a_recordings_csv_overrides_and_folders_give_sites(tmp_path):
    (tmp_path / "north").mkdir()
    path = _wav(tmp_path / "north" / "clip.wav")
    table = tmp_path / "recordings.csv"
    table.write_text(
        "path,site,lat,lon,start,timezone\n"
        f"{tmp_path / 'north'},N1,60.1,24.9,,\n{path},,,,2024-05-01T07:30:00,Europe/Berlin\n"
    )
    rows = read_recordings_csv(table)
    info = with_csv(recording_info(path), rows)
    assert info.source == "csv" and info.recorded_at(10.5) == EXPECTED
    other = with_csv(recording_info(tmp_path / "north" / "other.wav"), rows)
    assert (other.site, other.lat, other.lon, other.start) == ("N1", 60.1, 24.9, None)
    table.write_text("path,start\nx.wav,yesterday\n")
    with pytest.raises(OptionError, match="line 2: start 'yesterday' is not ISO 8601"):
        read_recordings_csv(table)


def test_no_start_time_is_said_not_guessed(tmp_path):
    info = recording_info(_wav(tmp_path / "clip.wav"))
    assert info.start is None and info.recorded_at(1.0) is None and "no start time" in info.note


def test_a_note_is_said_for_the_first_file_then_counted(tmp_path, caplog):
    recordings = Recordings()
    with caplog.at_level(logging.WARNING, logger="earmark"):
        for name in ("a.wav", "b.wav", "c.wav"):
            recordings.info(str(_wav(tmp_path / name)))
        recordings.close()
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "a.wav: no start time in its metadata or name; recorded_at is empty",
        "3 files in all: no start time in its metadata or name; recorded_at is empty",
    ]


def test_birdnet_weeks():
    assert [week_of(datetime(2024, m, d)) for m, d in ((1, 1), (1, 8), (1, 31), (5, 1), (12, 31))] == [1, 2, 4, 17, 48]
    assert week_of(START) == 17
