"""A :class:`Listener` for models named as ``earmark.load`` takes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import OptionError
from ..frames import FrameScorer
from ..registry import load
from ..tasks import TASKS
from .listener import Listener, StreamOptions

__all__ = ["listener", "scorers_for"]

WAKE_WORD_PREFIX = "wake-word/"


def scorers_for(models: Sequence[str], *, hop_s: float = 0.1, **load_options: Any) -> list[FrameScorer]:
    """Each model's frame scorers. Wake-word models are loaded together, so they share one front end;
    any other classifier streams through its own scorers (a sliding window unless it has a frame front end).
    A task name means its default model, exactly as if that were named; ``load_options`` (engine,
    labels, device...) go to ``earmark.load`` for the models that are not wake words."""
    models = [TASKS[m].default_model if m in TASKS else m for m in models]
    wake = [m for m in models if m.startswith(WAKE_WORD_PREFIX)]
    others = [m for m in models if not m.startswith(WAKE_WORD_PREFIX)]
    classifiers = ([load(",".join(wake))] if wake else []) + [load(name, **load_options) for name in others]
    return [scorer for classifier in classifiers for scorer in classifier.frame_scorers(hop_s=hop_s)]


def listener(
    models: Sequence[str], options: StreamOptions | None = None, *, hop_s: float = 0.1, **load_options: Any
) -> Listener:
    """A Listener for several models at once.

    ``wake-word/NAME`` is an openWakeWord model (alexa, hey_jarvis, hey_mycroft, hey_rhasspy,
    ok_nabu), ``wake-word/NAME@micro`` a microWakeWord one (alexa, hey_jarvis, hey_mycroft,
    okay_nabu); anything else is loaded with :func:`earmark.load` and scored on a sliding window
    (or frame by frame, for a keyword head trained on openWakeWord frames).
    """
    if not models:
        raise OptionError("listen needs at least one model, e.g. wake-word/alexa")
    return Listener(scorers_for(models, hop_s=hop_s, **load_options), options)
