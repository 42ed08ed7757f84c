"""Detectors on streams: false accepts per hour and misses at every threshold (the DET curve), and
the threshold that meets a false-accept target.

Audio is streamed exactly as ``earmark listen`` streams it (the file read in blocks, resampled to
16 kHz, the models' frame scorers, the Silero VAD gate when asked for) but, instead of firing events
at one threshold, a :class:`RecordingListener` keeps every frame that could fire at any threshold of
interest (a score of at least ``FLOOR``) with its step number and the VAD's speech probability over
its context. :func:`replay` then runs those frames through the Listener's own :class:`Trigger` at
each threshold - frames below it reset the trigger as they would live - so the events it counts are
the events ``listen`` would print at that threshold, for a stream scored once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..audio import Audio
from ..calibration import Calibration, ClassThreshold, Target
from ..errors import OptionError
from ..frames import STREAM_SAMPLE_RATE, FrameScorer
from ..streaming.listener import Event, Listener, StreamOptions, Trigger

__all__ = [
    "FLOOR",
    "Recorded",
    "RecordingListener",
    "calibrate_detector",
    "det_curve",
    "replay",
    "thresholds_grid",
]

FLOOR = 1e-3  # frames below this for every label cannot fire at any threshold on the curve
BLOCK_S = 600.0  # negatives are resampled in blocks of this length for the false-accept interval
PAD_S = 1.0  # silence either side of a positive clip, as openWakeWord's predict_clip pads


@dataclass
class Recorded:
    """One stream's frames of one scorer that reached ``FLOOR`` for some label."""

    labels: tuple[str, ...]
    step_s: float
    context_s: float
    steps: list[int] = field(default_factory=list)
    scores: list[np.ndarray] = field(default_factory=list)
    speech: list[float] = field(default_factory=list)
    duration_s: float = 0.0
    _arrays: Any = field(default=None, repr=False, compare=False)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Steps, scores and speech as arrays, stacked once (a curve replays them at every threshold)."""
        if self._arrays is None or len(self._arrays[0]) != len(self.steps):
            width = len(self.labels)
            scores = np.stack(self.scores) if self.scores else np.zeros((0, width), np.float32)
            self._arrays = (np.asarray(self.steps, np.int64), scores, np.asarray(self.speech, np.float32))
        return self._arrays


class RecordingListener(Listener):
    """A :class:`Listener` that records frames instead of firing: :meth:`stream` one input, get one
    :class:`Recorded` per scorer."""

    def __init__(self, scorers: Sequence[FrameScorer], options: StreamOptions | None = None) -> None:
        super().__init__(scorers, options)

    def stream(self, chunks: Iterable[np.ndarray | Audio], sample_rate: int | None = None) -> list[Recorded]:
        self.reset()
        self._records = [Recorded(tuple(s.labels), s.step_s, s.context_s) for s in self.scorers]
        samples = 0
        for chunk in chunks:
            pushed = self._to_16k(chunk, sample_rate, last=False)
            samples += len(pushed)
            self._score(pushed)
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            samples += len(tail)
            self._score(tail)
        for record in self._records:
            record.duration_s = samples / STREAM_SAMPLE_RATE
        return self._records

    def _score(self, samples: np.ndarray) -> list[Event]:
        if self._vad is not None:
            self._vad.push(samples)
        for k, scorer in enumerate(self.scorers):
            rows = scorer.push(samples)
            record = self._records[k]
            for row in rows:
                self._steps[k] += 1
                if row.max(initial=0.0) < FLOOR:
                    continue
                end_s = self._steps[k] * scorer.step_s
                record.steps.append(self._steps[k])
                record.scores.append(np.asarray(row, np.float32))
                record.speech.append(
                    self._vad.speech(max(0.0, end_s - scorer.context_s), end_s) if self._vad is not None else 1.0
                )
        return []


def replay(record: Recorded, label: str, threshold: float, options: StreamOptions) -> list[Event]:
    """The events ``listen`` fires for ``label`` at ``threshold`` on the recorded stream."""
    steps, scores, speech = record.arrays()
    column = scores[:, record.labels.index(label)] if len(steps) else np.zeros(0)
    trigger = Trigger(label, threshold, options.patience, options.refractory_s, options.vad_threshold)
    events, previous = [], None
    for i in np.flatnonzero(column >= threshold):
        step = int(steps[i])
        if previous is not None and step != previous + 1:
            trigger.step(-math.inf, 0.0, 0.0)  # a frame below the threshold came between
        previous = step
        event = trigger.step(float(column[i]), step * record.step_s, record.context_s, lambda i=i: float(speech[i]))
        if event:
            events.append(event)
    return events


def thresholds_grid(peaks: Iterable[float] = ()) -> np.ndarray:
    """The thresholds a curve is drawn at: a fixed grid from ``FLOOR`` to 0.9999, fine near both ends,
    and each positive's best score (where a detection turns into a miss)."""
    fixed = np.r_[np.linspace(FLOOR, 0.01, 10), np.linspace(0.02, 0.98, 49), 1 - np.logspace(-1.7, -4, 12)]
    extra = [p for p in peaks if FLOOR <= p <= 1]
    return np.unique(np.round(np.r_[fixed, extra], 6))


@dataclass(frozen=True)
class Curve:
    """One label's DET curve: at each threshold, false accepts per hour on the negatives and the
    fraction of positives missed."""

    label: str
    thresholds: np.ndarray
    false_accepts: np.ndarray
    misses: np.ndarray
    hours: float
    positives: int

    @property
    def fa_per_hour(self) -> np.ndarray:
        return self.false_accepts / self.hours if self.hours else np.full(len(self.thresholds), math.nan)

    @property
    def miss_rate(self) -> np.ndarray:
        return self.misses / self.positives if self.positives else np.full(len(self.thresholds), math.nan)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.thresholds.round(6).tolist(),
            "fa_per_hour": np.round(self.fa_per_hour, 4).tolist(),
            "miss_rate": np.round(self.miss_rate, 4).tolist(),
            "hours": self.hours,
            "positives": self.positives,
        }


def det_curve(
    label: str,
    negatives: Sequence[Recorded],
    positives: Sequence[Recorded],
    options: StreamOptions,
    thresholds: np.ndarray | None = None,
) -> tuple[Curve, np.ndarray, np.ndarray]:
    """The curve, with per-threshold false accepts of each negative block (``BLOCK_S``) and whether
    each positive was detected (for bootstrap intervals)."""
    peaks = [float(r.arrays()[1][:, r.labels.index(label)].max(initial=0.0)) for r in positives]
    grid = thresholds_grid(peaks) if thresholds is None else np.asarray(thresholds, float)
    first = np.cumsum([0] + [_blocks(r) for r in negatives])  # each record's first block
    fa = np.zeros((len(grid), int(first[-1])), int)
    hit = np.zeros((len(grid), len(positives)), bool)
    for t, threshold in enumerate(grid):
        for n, record in enumerate(negatives):
            for event in replay(record, label, float(threshold), options):
                fa[t, first[n] + min(int(event.end_s // BLOCK_S), _blocks(record) - 1)] += 1
        for p, record in enumerate(positives):
            hit[t, p] = bool(replay(record, label, float(threshold), options))
    hours = sum(r.duration_s for r in negatives) / 3600
    curve = Curve(label, grid, fa.sum(axis=1), (~hit).sum(axis=1), hours, len(positives))
    return curve, fa, hit


def _operating_point(ok: np.ndarray, misses: np.ndarray) -> int:
    """Among the thresholds that meet the false-accept target, those that miss the fewest words; of
    these, the middle one, so the threshold keeps a margin on both sides: the lowest of them sits on
    the edge of the negatives (on real audio, with the VAD gate, openWakeWord's alexa met 0.5 per hour
    at 0.007 and missed nothing up to far higher thresholds)."""
    fewest = ok[misses[ok] == misses[ok].min()]
    return int(fewest[len(fewest) // 2])


def _blocks(record: Recorded) -> int:
    return max(1, math.ceil(record.duration_s / BLOCK_S))


def calibrate_detector(
    labels: Sequence[str],
    negatives: Sequence[Recorded],
    positives: dict[str, list[Recorded]],
    target: Target,
    options: StreamOptions,
    *,
    min_examples: int = 10,
    model: str = "",
    data: str = "",
    seed: int = 0,
) -> Calibration:
    """For each label, a threshold whose false accepts per hour on the negatives are at most the
    target and that misses the fewest positives (the middle of those that do, see
    :func:`_operating_point`), with the miss rate and bootstrap 95 % intervals of both (negatives
    resampled in ``BLOCK_S`` blocks, positives by clip)."""
    if target.kind != "fa-per-hour":
        raise OptionError(f"target {target}: streamed negatives take fa-per-hour=X")
    hours = sum(r.duration_s for r in negatives) / 3600
    rng = np.random.default_rng(seed)
    classes, curves = [], {}
    for label in labels:
        clips = positives.get(label, [])
        curve, fa, hit = det_curve(label, negatives, clips, options)
        curves[label] = curve.to_dict()
        reason = None
        if hours * target.value < 1:
            reason = (
                f"{hours:.2f} h of negatives cannot show {target}: one false accept is already "
                f"{1 / hours if hours else math.inf:.2f} per hour; give at least {1 / target.value:.1f} h"
            )
        elif len(clips) < min_examples:
            reason = (
                f"too few examples: {len(clips)} recording(s) of {label!r}; a threshold needs at least {min_examples}"
            )
        ok = np.flatnonzero(curve.fa_per_hour <= target.value + 1e-12)
        if reason is None and not len(ok):
            reason = f"{target} is not reached at any threshold up to {curve.thresholds[-1]:g}"
        if reason:
            classes.append(ClassThreshold(label, None, len(clips), len(negatives), reason=reason))
            continue
        t = _operating_point(ok, curve.misses)
        blocks = fa.shape[1]
        block_hours = np.array([min(BLOCK_S, r.duration_s - b * BLOCK_S) for r in negatives for b in range(_blocks(r))])
        block_hours = block_hours / 3600
        draws = rng.integers(0, blocks, size=(1000, blocks))
        rates = fa[t][draws].sum(axis=1) / np.maximum(block_hours[draws].sum(axis=1), 1e-9)
        miss_draws = (~hit[t])[rng.integers(0, len(clips), size=(1000, len(clips)))].mean(axis=1)
        classes.append(
            ClassThreshold(
                label,
                float(curve.thresholds[t]),
                len(clips),
                len(negatives),
                recall=1 - float(curve.miss_rate[t]),
                interval=tuple(float(x) for x in np.percentile(rates, [2.5, 97.5])),
                fa_per_hour=float(curve.fa_per_hour[t]),
                miss_rate=float(curve.miss_rate[t]),
                miss_interval=tuple(float(x) for x in np.percentile(miss_draws, [2.5, 97.5])),
            )
        )
    return Calibration(
        target,
        tuple(classes),
        model=model,
        labels=tuple(labels),
        data=data,
        negatives_hours=hours,
        extra={"det": curves},
    )


def record_positive(listener: RecordingListener, clip: Any) -> list[Recorded]:
    """One positive clip (a :class:`~earmark.io.clips.LabelledClip`) streamed alone, with ``PAD_S`` of
    silence either side."""
    samples = clip.decode().mono().resample(STREAM_SAMPLE_RATE).samples
    pad = np.zeros(round(PAD_S * STREAM_SAMPLE_RATE), np.float32)
    return listener.stream([np.concatenate([pad, samples, pad])], STREAM_SAMPLE_RATE)


def _record(
    listener: RecordingListener, negatives: Sequence[str], clips: Sequence[Any], to_model: dict[str, str], progress: Any
) -> tuple[list[list[Recorded]], dict[str, list[list[Recorded]]]]:
    """The negative files streamed whole, and each positive clip alone, by model label."""
    from ..io.streams import file_chunks

    total, done = len(negatives) + len(clips), 0
    recorded_negatives: list[list[Recorded]] = []
    positives: dict[str, list[list[Recorded]]] = {}
    for path in negatives:
        recorded_negatives.append(listener.stream(file_chunks(path)))
        done += 1
        if progress:
            progress(done, total)
    for clip in clips:
        positives.setdefault(to_model[clip.label], []).append(record_positive(listener, clip))
        done += 1
        if progress:
            progress(done, total)
    return recorded_negatives, positives


def calibrate_streams(
    models: Sequence[str],
    clips: Sequence[Any],
    negatives: Sequence[str],
    target: Target,
    options: StreamOptions,
    *,
    load_options: Any = None,
    label_map: dict[str, str] | None = None,
    min_examples: int = 10,
    data: str = "",
    progress: Any = None,
) -> Calibration:
    """Thresholds to a false-accept target for the models ``listen`` would run: the negative files
    streamed whole, each labelled clip of a model label streamed alone (clips of other labels are not
    used). ``progress(done, total)`` is called per file and clip."""
    from ..options import LoadOptions
    from ..streaming.models import scorers_for
    from .metrics import match_labels

    load = (load_options or LoadOptions()).replace(calibration="none")  # thresholds are for the raw scores
    listener = RecordingListener(scorers_for(models, options=load), options)
    labels = listener.labels
    to_dataset = match_labels(labels, sorted({c.label for c in clips}), label_map)
    to_model = {d: m for m, d in to_dataset.items()}
    mine = [c for c in clips if c.label in to_model]
    recorded_negatives, positives = _record(listener, negatives, mine, to_model, progress)
    scorer_of = {label: k for k, s in enumerate(listener.scorers) for label in s.labels}
    wanted = [label for label in labels if label not in options.ignore]
    per_label_neg = {label: [r[scorer_of[label]] for r in recorded_negatives] for label in wanted}
    per_label_pos = {label: [r[scorer_of[label]] for r in positives.get(label, [])] for label in wanted}
    parts = [
        calibrate_detector(
            [label],
            per_label_neg[label],
            per_label_pos,
            target,
            options,
            min_examples=min_examples,
            model=",".join(models),
            data=data,
        )
        for label in wanted
    ]
    hours = parts[0].negatives_hours if parts else 0.0
    return Calibration(
        target,
        tuple(c for p in parts for c in p.classes),
        model=",".join(models),
        labels=tuple(labels),
        data=data,
        negatives_hours=hours,
        extra={
            "det": {k: v for p in parts for k, v in p.extra["det"].items()},
            "negative_files": len(negatives),
            "stream": {
                "vad_threshold": options.vad_threshold,
                "patience": options.patience,
                "refractory_s": options.refractory_s,
            },
        },
    )
