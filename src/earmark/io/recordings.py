"""When and where a recording was made: its start time, site and location.

Sources, most trusted first (the first that gives a start time wins; a recordings CSV given by the
user overrides them all):

1. GUANO metadata (the ``guan`` chunk of a WAV file, read with the ``guano`` package): ``Timestamp``
   (with its UTC offset), ``Loc Position`` (lat lon), ``Site Name``.
2. The AudioMoth comment in the WAV ``LIST/INFO/ICMT`` chunk: ``Recorded at 05:30:00 01/05/2024 (UTC+1)``.
3. Broadcast WAV ``bext``: origination date and time (local time: no offset in the format).
4. The file name: ``20240501_053000.WAV``, ``SITE_20240501_053000.wav``, ``SITE_A_20240501T053000.flac``
   (``[SITE_]YYYYMMDD[_T-]HHMMSS``; the site is what comes before the date).

Only the headers are read (chunk by chunk, with seeks), never the audio. A time without an offset
(``bext``, a file name) is taken in ``timezone`` (default UTC) and the assumption is said in
:attr:`RecordingInfo.note`; a file with no start time says that too, never guessed.
"""

from __future__ import annotations

import csv
import logging
import re
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import OptionError, missing_extra

logger = logging.getLogger("earmark")

__all__ = ["RecordingInfo", "Recordings", "read_recordings_csv", "recording_info", "week_of", "with_csv"]

FILENAME = re.compile(r"^(?:(?P<site>.+?)[_-])?(?P<date>\d{8})[_T-]?(?P<time>\d{6})(?!\d)")
AUDIOMOTH = re.compile(
    r"Recorded at (\d{2}):(\d{2}):(\d{2}) (\d{2})/(\d{2})/(\d{4}) \(UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\)"
)
MAX_CHUNKS = 64  # a WAV header with more chunks than this before the data is not a recorder's


@dataclass(frozen=True)
class RecordingInfo:
    """What is known of one recording; ``start`` is timezone-aware (UTC) or None."""

    path: str
    start: datetime | None = None
    site: str | None = None
    lat: float | None = None
    lon: float | None = None
    source: str = "none"
    """Where the start time came from: guano, audiomoth, bext, filename, csv or none."""
    note: str | None = None
    """An assumption made or a lack stated (said once per file)."""

    def recorded_at(self, offset_s: float) -> str | None:
        """UTC ISO 8601 time of a moment ``offset_s`` into the recording, or None without a start."""
        if self.start is None:
            return None
        return (self.start + timedelta(seconds=offset_s)).astimezone(timezone.utc).isoformat(timespec="milliseconds")

    @property
    def week(self) -> int | None:
        """BirdNET's week of the year (1-48, four per month) of the start, or None."""
        return week_of(self.start) if self.start else None


class Recordings:
    """Each file's :class:`RecordingInfo`, read once, with a recordings CSV over it. A note (an
    assumption or a lack) is logged for the first file it applies to, then once more as a count when
    the run ends (:meth:`close`), so a folder of 100,000 undated clips prints two lines, not 100,000."""

    def __init__(self, csv_path: str | Path | None = None, *, tz: str = "UTC", quiet: bool = False) -> None:
        self.rows = read_recordings_csv(csv_path) if csv_path else {}
        self.tz, self.quiet = tz, quiet
        self._known: dict[str, RecordingInfo] = {}
        self._kinds: dict[str, int] = {}
        _aware(datetime(2000, 1, 1), tz, "check")  # an unknown time zone fails before any work

    def info(self, path: str) -> RecordingInfo:
        if path not in self._known:
            local = Path(path)
            info = with_csv(recording_info(local, tz=self.tz) if local.exists() else RecordingInfo(path), self.rows)
            if info.note and info.source != "csv" and not self.quiet:
                kind = info.note.split(": ", 1)[-1]
                if kind not in self._kinds:
                    logger.warning("%s", info.note)
                self._kinds[kind] = self._kinds.get(kind, 0) + 1
            self._known[path] = info
        return self._known[path]

    def close(self) -> None:
        """Log how many files each note applied to (those said more than once)."""
        for kind, count in self._kinds.items():
            if count > 1:
                logger.warning("%d files in all: %s", count, kind)
        self._kinds.clear()


def week_of(moment: datetime) -> int:
    """BirdNET's 48-week year: four weeks per month, days 1-7, 8-14, 15-21 and 22 on."""
    return (moment.month - 1) * 4 + min(4, (moment.day - 1) // 7 + 1)


def recording_info(path: str | Path, *, tz: str = "UTC") -> RecordingInfo:
    """Start time, site and location from the file's own metadata or its name (see the module docstring)."""
    path = Path(path)
    chunks = _riff_chunks(path) if path.suffix.lower() in (".wav", ".wave", ".bwf") else {}
    for reader in (_from_guano, _from_audiomoth, _from_bext):
        info = reader(str(path), chunks, tz)
        if info is not None:
            return _with_site_from_name(info, path)
    named = _from_filename(path, tz)
    if named is not None:
        return named
    return RecordingInfo(str(path), note=f"{path.name}: no start time in its metadata or name; recorded_at is empty")


def read_recordings_csv(path: str | Path) -> dict[str, dict[str, str]]:
    """A recordings CSV (``path`` - a file or a folder - then any of ``site, lat, lon, start, timezone``)
    by its path column; bad rows are an :class:`OptionError` naming the line."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise OptionError(f"--recordings {path}: cannot be read ({e.strerror})") from e
    if not rows or "path" not in rows[0]:
        raise OptionError(f"--recordings {path}: needs a header with a 'path' column (and site, lat, lon, start)")
    for number, row in enumerate(rows, start=2):
        if row.get("start"):
            try:
                datetime.fromisoformat(row["start"])
            except ValueError as e:
                raise OptionError(f"--recordings {path}: line {number}: start {row['start']!r} is not ISO 8601") from e
    return {str(Path(row["path"])): row for row in rows}


def with_csv(info: RecordingInfo, rows: dict[str, dict[str, str]]) -> RecordingInfo:
    """``info`` overridden by the CSV row of its file or of the nearest folder above it."""
    for candidate in (Path(info.path), *Path(info.path).parents):
        row = rows.get(str(candidate))
        if row is None:
            continue
        changes: dict[str, object] = {k: row[k] for k in ("site",) if row.get(k)}
        changes |= {k: float(row[k]) for k in ("lat", "lon") if row.get(k)}
        if row.get("start") and candidate == Path(info.path):
            start = datetime.fromisoformat(row["start"])
            start, note = _aware(start, row.get("timezone") or "UTC", f"{Path(info.path).name}: the CSV's start")
            changes |= {"start": start, "source": "csv", "note": note}
        return replace(info, **changes)
    return info


def _riff_chunks(path: Path) -> dict[str, bytes]:
    """The small chunks of a RIFF/WAVE header (``guan``, ``bext``, ``LIST``), read with seeks; the audio is skipped."""
    found: dict[str, bytes] = {}
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
                return found
            for _ in range(MAX_CHUNKS):
                header = f.read(8)
                if len(header) < 8:
                    break
                name, size = header[:4].decode("latin-1"), struct.unpack("<I", header[4:])[0]
                if name in ("guan", "bext", "LIST") and size <= 1 << 20:
                    found[name if name != "LIST" else f"LIST{len(found)}"] = f.read(size)
                    f.seek(size % 2, 1)
                else:
                    f.seek(size + size % 2, 1)
    except OSError:
        return found
    return found


def _from_guano(path: str, chunks: dict[str, bytes], tz: str) -> RecordingInfo | None:
    if "guan" not in chunks:
        return None
    try:
        from guano import GuanoFile
    except ImportError as e:
        raise missing_extra("guano", "batch", "reading GUANO metadata") from e
    meta = GuanoFile.from_string(chunks["guan"].rstrip(b"\0"))
    stamp = meta.get("Timestamp")
    if not isinstance(stamp, datetime):
        return None
    position = meta.get("Loc Position")
    lat, lon = position if isinstance(position, tuple) and len(position) == 2 else (None, None)
    start, note = _aware(stamp, tz, f"{Path(path).name}: GUANO Timestamp")
    return RecordingInfo(path, start, meta.get("Site Name") or None, lat, lon, "guano", note)


def _from_audiomoth(path: str, chunks: dict[str, bytes], tz: str) -> RecordingInfo | None:
    for name, data in chunks.items():
        match = AUDIOMOTH.search(data.decode("latin-1")) if name.startswith("LIST") else None
        if match:
            hh, mm, ss, day, month, year, sign, oh, om = match.groups()
            offset = timedelta(hours=int(oh or 0), minutes=int(om or 0)) * (-1 if sign == "-" else 1)
            local = datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
            return RecordingInfo(path, local.astimezone(timezone.utc), source="audiomoth")
    return None


def _from_bext(path: str, chunks: dict[str, bytes], tz: str) -> RecordingInfo | None:
    data = chunks.get("bext", b"")
    if len(data) < 338:
        return None
    text = data[320:338].decode("latin-1")  # OriginationDate (10) + OriginationTime (8)
    try:
        local = datetime.strptime(text.replace(":", "-"), "%Y-%m-%d%H-%M-%S")
    except ValueError:
        return None
    start, note = _aware(local, tz, f"{Path(path).name}: bext origination time")
    return RecordingInfo(path, start, source="bext", note=note)


def _from_filename(path: Path, tz: str) -> RecordingInfo | None:
    match = FILENAME.match(path.stem)
    if not match:
        return None
    try:
        local = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    start, note = _aware(local, tz, f"{path.name}: the time in its name")
    return RecordingInfo(str(path), start, match["site"] or None, source="filename", note=note)


def _with_site_from_name(info: RecordingInfo, path: Path) -> RecordingInfo:
    match = FILENAME.match(path.stem)
    return replace(info, site=match["site"]) if info.site is None and match and match["site"] else info


def _aware(moment: datetime, tz: str, what: str) -> tuple[datetime, str | None]:
    """``moment`` in UTC; a naive one is taken in ``tz``, and that assumption is returned as a note."""
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc), None
    try:
        zone = timezone.utc if tz.upper() == "UTC" else ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise OptionError(f"timezone={tz!r} is not a known time zone; use e.g. UTC or Europe/Berlin") from e
    note = f"{what} has no UTC offset; taken as {tz} (--timezone changes it)"
    return moment.replace(tzinfo=zone).astimezone(timezone.utc), note
