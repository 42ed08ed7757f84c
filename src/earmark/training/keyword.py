"""A detector for one new word from a few recordings of it, and crops of any other audio as negatives."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..engines.head import OTHER
from ..errors import EarmarkError, OptionError
from ..io.labelled import LabelledClip
from .train import TrainOptions, TrainReport, train_head

__all__ = ["train_keyword"]

logger = logging.getLogger("earmark")

# Held-out recordings of the word below which its threshold is refused (a few dozen are recorded in
# all, and 30 % of them are held out: 5 is the least that still gives a miss rate in steps of 20 %).
MIN_HELD_OUT = 5


def train_keyword(
    positives: Sequence[LabelledClip],
    negatives: Sequence[LabelledClip],
    out: str | Path,
    *,
    keyword: str,
    encoder: str = "openwakeword",
    head: str = "logistic",
    max_crops: int = 10,
    test_size: float = 0.3,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cache: str | Path | None = None,
    data: str = "",
    licence: str | None = None,
    fa_per_hour: float | None = 0.5,
    calibration_negatives: Sequence[str] = (),
) -> TrainReport:
    """A detector for one new word from a few positive clips: negatives are crops as long as the
    positives, cut from other audio (speech, noise, other words; one crop per 5 s of it, at most
    ``max_crops`` per file). The model scores the keyword alone (sigmoid), so
    ``earmark listen --model DIR`` fires on it.

    Then, with ``fa_per_hour``, its threshold is chosen as ``earmark calibrate --target
    fa-per-hour=X`` chooses it and written to ``DIR/calibration.json``: the held-out negative files
    (never cropped for training) and ``calibration_negatives`` (long audio without the word, used only
    for this) streamed as ``listen`` streams them, and the held-out recordings of the word for its
    miss rate. Too few hours of negatives for the target leave the threshold refused (the file says why)."""
    if not positives or not negatives:
        raise OptionError(f"a keyword needs positive and negative audio; got {len(positives)} and {len(negatives)}")
    rng = np.random.default_rng(seed)
    durations = {c.key: _duration_s(c) for c in [*positives, *negatives]}  # None: unreadable, left out
    positives = [c for c in positives if durations[c.key] is not None]
    negatives = [c for c in negatives if durations[c.key] is not None]
    if not positives or not negatives:
        raise OptionError(
            f"a keyword needs readable positive and negative audio; {len(positives)} and {len(negatives)}"
        )
    length_s = float(np.median([durations[c.key] for c in positives]))
    crops = []
    for clip in negatives:
        duration = durations[clip.key]
        count = min(max_crops, max(1, math.ceil(duration / 5.0)))
        starts = [0.0] if duration <= length_s else rng.uniform(0, duration - length_s, count)
        offset = clip.start_s or 0.0
        for s in sorted(set(np.round(starts, 2))):
            end = offset + s + min(length_s, duration)
            crops.append(LabelledClip(clip.source, OTHER, offset + s, end, clip.audio))
    clips = [LabelledClip(c.source, keyword, c.start_s, c.end_s, c.audio) for c in positives] + crops
    options = TrainOptions(
        encoder=encoder,
        head=head,
        test_size=test_size,
        seed=seed,
        cache=str(cache) if cache else None,
        data=data,
        licence=licence,
        split_by=r"^(.+)$",  # the file: crops of one recording never land on both sides
        detector=keyword,
        window_s=round(length_s + 0.5, 2),
    )
    report = train_head(clips, out, options, progress=progress)
    if fa_per_hour is not None:
        held = set(report.test_groups)
        _calibrate(
            out,
            [c for c in positives if Path(c.source).name in held],
            [c.source for c in negatives if Path(c.source).name in held and c.start_s is None]
            + list(calibration_negatives),
            fa_per_hour,
            data,
        )
    return report


def _calibrate(out: str | Path, positives: list[LabelledClip], negatives: list[str], fa_per_hour: float, data: str):
    from ..calibration import Target
    from ..evaluation.detection import calibrate_streams
    from ..streaming import StreamOptions

    calibration = calibrate_streams(
        [str(out)],
        positives,
        sorted(set(negatives)),
        Target("fa-per-hour", fa_per_hour),
        StreamOptions(vad_threshold=0.5),  # as earmark listen runs by default
        min_examples=MIN_HELD_OUT,
        data=data,
    )
    calibration.write(out)
    logger.info("%s: %s", out, calibration.describe())
    return calibration


def _duration_s(clip: LabelledClip) -> float | None:
    if clip.start_s is not None:
        return (clip.end_s or 0) - clip.start_s
    try:
        return clip.decode().duration_s
    except EarmarkError as e:
        logger.warning("left out of training: %s", " ".join(str(e).split()))
        return None
