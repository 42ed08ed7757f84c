"""A :class:`Listener` for models named as ``earmark.load`` takes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..calibration import Calibration
from ..errors import OptionError
from ..frames import FrameScorer
from ..options import LoadOptions
from ..registry import ModelRef, load, parse_ref
from .listener import Listener, StreamOptions

__all__ = ["CalibratedScorer", "listener", "scorers_for"]


def scorers_for(
    models: Sequence[str | ModelRef],
    *,
    hop_s: float = 0.1,
    options: LoadOptions | None = None,
    **load_options: Any,
) -> list[FrameScorer]:
    """Each model's frame scorers. Wake-word models are loaded together, so they share one front end;
    any other classifier streams through its own scorers (a sliding window unless it has a frame front end).
    References are parsed by :func:`earmark.registry.parse_ref` (a task means its default model, and
    ``M@onnx-int8`` picks an engine); ``options`` (or ``earmark.load``'s keywords) go to every model,
    and each engine refuses what it cannot honour."""
    options = options or LoadOptions()
    refs = ModelRef.combine([parse_ref(m) for m in models])
    scorers: list[FrameScorer] = []
    for ref in refs:
        classifier = load(ref, options, **load_options)
        own = classifier.frame_scorers(hop_s=hop_s)
        calibration = classifier.calibration
        scorers += [CalibratedScorer(s, calibration) for s in own] if calibration is not None else own
    return scorers


class CalibratedScorer:
    """A frame scorer of a calibrated model: its scores through the calibration's maps, and the
    calibrated threshold as each label's default (``StreamOptions.threshold`` still overrides it)."""

    def __init__(self, scorer: FrameScorer, calibration: Calibration) -> None:
        self.scorer, self.calibration = scorer, calibration
        self.labels, self.step_s, self.context_s = scorer.labels, scorer.step_s, scorer.context_s
        own = calibration.thresholds
        self.thresholds = {label: own.get(label, scorer.thresholds[label]) for label in scorer.labels}

    def push(self, samples: Any) -> Any:
        rows = self.scorer.push(samples)
        return self.calibration.apply(rows, self.labels).astype("float32") if len(rows) else rows

    def reset(self) -> None:
        self.scorer.reset()


def listener(
    models: Sequence[str | ModelRef],
    options: StreamOptions | None = None,
    *,
    hop_s: float = 0.1,
    load_options: LoadOptions | None = None,
    **keywords: Any,
) -> Listener:
    """A Listener for several models at once.

    ``wake-word/NAME`` is an openWakeWord model (alexa, hey_jarvis, hey_mycroft, hey_rhasspy,
    ok_nabu), ``wake-word/NAME@micro`` a microWakeWord one (alexa, hey_jarvis, hey_mycroft,
    okay_nabu); anything else is loaded with :func:`earmark.load` and scored on a sliding window
    (or frame by frame, for a keyword head trained on openWakeWord frames).
    """
    if not models:
        raise OptionError("listen needs at least one model, e.g. wake-word/alexa")
    return Listener(scorers_for(models, hop_s=hop_s, options=load_options, **keywords), options)
