"""Typed, frozen results.

A :class:`Prediction`'s ``to_list()`` is exactly the Hugging Face pipeline's
``[{"score": float, "label": str}, ...]``, best first.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TIMELINE_SUFFIXES", "Failure", "Prediction", "Score", "Segment", "Timeline", "TimelineWriter"]

# JSON, CSV, a Raven selection table (before .txt: it ends in .txt too), an Audacity label track
TIMELINE_SUFFIXES = (".json", ".csv", ".selection.table.txt", ".txt")
RAVEN_HEADER = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLabel\tCode\tConfidence\n"


@dataclass(frozen=True)
class Score:
    """One label and its score."""

    label: str
    score: float
    code: str | None = None
    """A short code for the label where the model has one (ISO 639-1 for languages)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": self.score, "label": self.label}
        if self.code is not None:
            out["code"] = self.code
        return out


class _Ranked:
    """``label`` and ``score`` of the best of ``scores`` (ranked best first)."""

    scores: tuple[Score, ...]

    @property
    def label(self) -> str | None:
        """The best label, or None when a threshold or filter left none."""
        return self.scores[0].label if self.scores else None

    @property
    def score(self) -> float | None:
        return self.scores[0].score if self.scores else None


@dataclass(frozen=True)
class Segment(_Ranked):
    """A stretch of a recording and what the model heard in it."""

    start_s: float
    end_s: float
    scores: tuple[Score, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 6),
            "end_s": round(self.end_s, 6),
            "scores": [s.to_dict() for s in self.scores],
        }


@dataclass(frozen=True)
class Timeline:
    """Segments of a long recording in time order; adjacent ones with the same top label are merged."""

    segments: tuple[Segment, ...] = ()

    def __len__(self) -> int:
        return len(self.segments)

    def __iter__(self):
        return iter(self.segments)

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.segments]

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    def to_csv(self) -> str:
        """One row per segment: ``start_s,end_s,label,score``."""
        return _render(self.segments, "csv", header=True)

    def to_audacity(self) -> str:
        """An Audacity label track: ``start<TAB>end<TAB>label`` per line (File > Import > Labels)."""
        return _render(self.segments, "audacity")

    def to_raven(self) -> str:
        """A Raven selection table: one selection per label of each segment (every label a threshold
        kept, as BirdNET-Analyzer writes its detections), with its code and confidence."""
        return _render(self.segments, "raven", header=True)

    def tiled(self) -> Timeline:
        """The segments without overlap: where windows overlap (``hop_s < window_s``) each segment ends
        where the next begins, so it keeps its own hop's share of the time."""
        out: list[Segment] = []
        tiler = _Tiler(out.append)
        for segment in self.segments:
            tiler.add(segment)
        tiler.close()
        return Timeline(tuple(out))

    def export(self, path: str) -> None:
        """Write the timeline, tiled (no overlapping segments); the format follows the extension:
        .json, .csv, .selection.table.txt (Raven) or .txt (an Audacity label track)."""
        with TimelineWriter(path) as writer:
            for segment in self.segments:
                writer.write(segment)


class _Tiler:
    """Segments in, tiled segments out, one behind (a segment's end waits for the next one's start)."""

    def __init__(self, emit: Any) -> None:
        self.emit, self.held = emit, None

    def add(self, segment: Segment) -> None:
        if self.held is not None:
            held = self.held
            if held.end_s > segment.start_s:
                held = dataclasses.replace(held, end_s=max(held.start_s, segment.start_s))
            self.emit(held)
        self.held = segment

    def close(self) -> None:
        if self.held is not None:
            self.emit(self.held)
            self.held = None


class TimelineWriter:
    """A timeline file written as its segments come (a recording of any length, constant memory),
    tiled like :meth:`Timeline.export`; the format follows the extension (.json, .csv,
    .selection.table.txt for Raven, .txt for Audacity). Written to ``PATH.partial`` and renamed when
    closed - also when the recording turns out damaged part-way, so the segments before the damage are
    kept."""

    def __init__(self, path: str) -> None:
        from .errors import OptionError

        self.kind = next((k for s, k in zip(TIMELINE_SUFFIXES, _KINDS) if path.lower().endswith(s)), None)
        if self.kind is None:
            raise OptionError(f"timeline file {path!r}: unknown extension; allowed: {', '.join(TIMELINE_SUFFIXES)}")
        self.path, self.count = path, 0
        self.file = open(path + ".partial", "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.file.write("[" if self.kind == "json" else _render((), self.kind, header=True))
        self.tiler = _Tiler(self._write)

    def write(self, segment: Segment) -> None:
        self.tiler.add(segment)

    def _write(self, segment: Segment) -> None:
        if self.kind == "json":
            self.file.write(("," if self.count else "") + json.dumps(segment.to_dict()))
        elif self.kind == "raven":
            self.file.write(_render((segment,), "raven", first=self.count + 1))
        else:
            self.file.write(_render((segment,), self.kind))
        self.count += len(segment.scores) if self.kind == "raven" else 1

    def close(self) -> None:
        import os

        self.tiler.close()
        if self.kind == "json":
            self.file.write("]")
        self.file.close()
        os.replace(self.path + ".partial", self.path)

    def __enter__(self) -> TimelineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_KINDS = ("json", "csv", "raven", "audacity")


def _render(segments: Any, kind: str, *, header: bool = False, first: int = 1) -> str:
    """Segments as lines of a CSV, Raven or Audacity file (with the file's header line)."""
    if kind == "audacity":
        return "".join(f"{s.start_s:.6f}\t{s.end_s:.6f}\t{s.label or ''}\n" for s in segments)
    if kind == "raven":
        rows = [
            f"{n}\tSpectrogram 1\t1\t{seg.start_s:.3f}\t{seg.end_s:.3f}\t{s.label}\t{s.code or ''}\t{s.score:.4f}\n"
            for n, (seg, s) in enumerate(((seg, s) for seg in segments for s in seg.scores), start=first)
        ]
        return (RAVEN_HEADER if header else "") + "".join(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(["start_s", "end_s", "label", "score"])
    for s in segments:
        writer.writerow([f"{s.start_s:.3f}", f"{s.end_s:.3f}", s.label or "", f"{s.score or 0.0:.6f}"])
    return out.getvalue()


@dataclass(frozen=True)
class Prediction(_Ranked):
    """What a classifier heard in one input.

    ``scores`` are the top-k labels, best first (pooled over windows for long
    audio). ``timeline`` has the per-window segments when the input was
    classified in windows, and is empty otherwise.
    """

    scores: tuple[Score, ...]
    source: str | None = None
    duration_s: float | None = None
    timeline: Timeline = field(default_factory=Timeline)

    def __len__(self) -> int:
        return len(self.scores)

    def __iter__(self):
        return iter(self.scores)

    def __getitem__(self, index: int) -> Score:
        return self.scores[index]

    def to_list(self) -> list[dict[str, Any]]:
        """The Hugging Face pipeline's shape: ``[{"score", "label"}, ...]``, best first."""
        return [s.to_dict() for s in self.scores]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "duration_s": self.duration_s, "scores": self.to_list()}
        if self.timeline:
            out["timeline"] = self.timeline.to_list()
        return out

    def to_json(self) -> str:
        """The pipeline's JSON list of ``{"score", "label"}``."""
        return json.dumps(self.to_list())

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{s.label}</td><td>{s.score:.4f}</td></tr>" for s in self.scores)
        title = f"<caption>{self.source}</caption>" if self.source else ""
        return f"<table>{title}<tr><th>label</th><th>score</th></tr>{rows}</table>"


@dataclass(frozen=True)
class Failure:
    """An input that could not be classified, in its place among the results (``errors="yield"``)."""

    source: str | None
    error: str
    """One line: what was received and what is allowed."""
    error_type: str
    """The earmark error class, e.g. ``AudioError``."""
    exception: BaseException | None = field(default=None, compare=False, repr=False)
    """The error itself, where it was caught in this process (None once read back from a file)."""

    @classmethod
    def of(cls, source: str | None, error: BaseException) -> Failure:
        return cls(source, " ".join(str(error).split()), type(error).__name__, error)

    def error_for_raising(self) -> BaseException:
        """The error to raise for this input: the one caught (an :class:`~earmark.EarmarkError` with the
        message when it was read back from a file)."""
        from .errors import EarmarkError

        return self.exception if self.exception is not None else EarmarkError(self.error)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "error": self.error, "type": self.error_type}
