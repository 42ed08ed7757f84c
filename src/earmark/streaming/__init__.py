"""Streaming detection: push audio in any chunk size, get :class:`Event`s as keywords are heard."""

from ..frames import FrameScorer, SlidingWindowScorer
from .listener import Event, Listener, StreamOptions
from .models import listener, scorers_for

ClassifierScorer = SlidingWindowScorer  # its name before earmark 0.2

__all__ = [
    "ClassifierScorer",
    "Event",
    "FrameScorer",
    "Listener",
    "SlidingWindowScorer",
    "StreamOptions",
    "listener",
    "scorers_for",
]
