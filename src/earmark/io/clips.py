"""A labelled clip: a file (or a part of one, or a dataset row) and its label."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..audio import Audio
from .decode import load_audio

__all__ = ["LabelledClip"]


@dataclass(frozen=True)
class LabelledClip:
    """One clip: where it is, its label, optionally the part of the file (seconds), and for
    dataset rows the audio itself (a ``datasets`` AudioDecoder or dict)."""

    source: str
    label: str
    start_s: float | None = None
    end_s: float | None = None
    audio: Any = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        """A stable id for resuming: the source and its part."""
        return self.source if self.start_s is None else f"{self.source}#{self.start_s}-{self.end_s}"

    def to_audio(self) -> Audio:
        """What ``earmark.load_audio`` calls for a clip: its audio, decoded when it is needed."""
        return self.decode()

    def decode(self) -> Audio:
        """The clip's audio (its part of the file, if it has one) as an :class:`earmark.Audio`."""
        audio = load_audio(self.audio if self.audio is not None else self.source)
        return audio if self.start_s is None else audio.slice_s(self.start_s, self.end_s or audio.duration_s)
