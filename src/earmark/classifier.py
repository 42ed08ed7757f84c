"""The one classifier interface every engine implements.

An engine supplies ``sample_rate``, ``labels``, its natural ``window_s`` and a
``forward`` from a batch of mono clips to logits. Everything else - decoding,
downmixing, resampling, long-audio windows, batching, activation, top-k,
pooling and timelines - lives here once, for every engine.

What callers need to know about a model is on this interface too, never found by
probing an engine's attributes: ``engine``, ``size_bytes``, ``zero_shot`` and
``labels_bound``, ``stream_window_s``, and ``frame_scorers()`` for streaming.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .audio import Audio
from .errors import OptionError
from .frames import FrameScorer, SlidingWindowScorer
from .io.decode import AudioInput, load_audio
from .options import ClassifyOptions
from .results import Prediction, Score
from .scoring import activate, rank, resolve_labels, restrict_logits
from .windows import merge_runs, plan_windows, pool

__all__ = ["Classifier", "ProgressCallback"]

logger = logging.getLogger("earmark")

ProgressCallback = Callable[[int, "int | None"], None]
# Models that take any length (wav2vec2, HuBERT...) still cost O(n^2) in attention:
# longer inputs are classified in windows of this length unless window_s says otherwise.
LONG_AUDIO_WINDOW_S = 30.0
UNKNOWN = "unknown"


@dataclass
class _Job:
    """One input on its way through the model."""

    source: str | None
    duration_s: float
    spans: list[tuple[int, int]]
    sample_rate: int
    logits: list[np.ndarray] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.logits) == len(self.spans)


class Classifier(ABC):
    """A model that scores labels for audio.

    Subclasses set ``name``, ``sample_rate``, ``labels``, ``window_s`` (the
    model's own input length in seconds, or None when it takes any length)
    and ``multi_label``, and implement :meth:`forward`. They may also set
    ``default_options`` (what ``options=None`` means for them), ``label_codes``
    (short codes for the labels, e.g. ISO languages), and override :meth:`clips`
    (e.g. to keep only speech).
    """

    name: str
    sample_rate: int
    engine: str = "?"
    """The name of the engine that loaded it (``earmark.registry.engines()``)."""
    window_s: float | None = None
    multi_label: bool = False
    default_function: str | None = None
    default_options: ClassifyOptions = ClassifyOptions()
    label_codes: tuple[str, ...] | None = None
    zero_shot: bool = False
    """Labels are free text bound with :meth:`with_labels` (CLAP)."""
    stream_window_s: float | None = None
    """The audio a streaming score looks at (a keyword detector's word length); None: ``window_s``."""

    @property
    def size_bytes(self) -> int | None:
        """Bytes of the model's weights, where the engine knows them."""
        return None

    @property
    def labels_bound(self) -> bool:
        """Whether :attr:`labels` can be read: always, except for a zero-shot model without labels."""
        return True

    def with_labels(self, labels: Sequence[str], template: str | None = None) -> Classifier:
        """The same model with other free-text labels; only zero-shot models have this."""
        raise OptionError(f"{self.name!r} has fixed labels; only zero-shot (CLAP) models take labels")

    def frame_scorers(self, *, hop_s: float = 0.1) -> list[FrameScorer]:
        """How to score this model on a live stream: by default the last ``stream_window_s``
        (or ``window_s``, or 1 s) classified every ``hop_s``; engines with a frame-by-frame front end
        (wake words, heads on openWakeWord frames) return their own scorers."""
        return [SlidingWindowScorer(self, hop_s=hop_s)]

    @property
    @abstractmethod
    def labels(self) -> tuple[str, ...]:
        """The labels, in the order of the model's outputs."""

    @abstractmethod
    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Logits ``(len(clips), len(labels))`` for mono float32 clips at ``sample_rate``."""

    def __call__(self, source: AudioInput, options: ClassifyOptions | None = None, **changes: Any) -> Prediction:
        return self.classify(source, options, **changes)

    def classify(
        self,
        source: AudioInput,
        options: ClassifyOptions | None = None,
        *,
        sample_rate: int | None = None,
        **changes: Any,
    ) -> Prediction:
        """Classify one input (a file, bytes, an array with ``sample_rate``...).

        ``changes`` are :class:`ClassifyOptions` fields, e.g. ``top_k=3``.
        """
        return next(self.iter_classify([source], options, sample_rate=sample_rate, **changes))

    def classify_many(
        self,
        sources: Iterable[AudioInput],
        options: ClassifyOptions | None = None,
        *,
        sample_rate: int | None = None,
        progress: ProgressCallback | None = None,
        **changes: Any,
    ) -> list[Prediction]:
        """Classify many inputs, batched through the model; results keep the order of the inputs."""
        return list(self.iter_classify(sources, options, sample_rate=sample_rate, progress=progress, **changes))

    def iter_classify(
        self,
        sources: Iterable[AudioInput],
        options: ClassifyOptions | None = None,
        *,
        sample_rate: int | None = None,
        progress: ProgressCallback | None = None,
        **changes: Any,
    ) -> Iterator[Prediction]:
        """Like :meth:`classify_many`, yielding each prediction as soon as its input is done."""
        opts = resolve_labels((options or self.default_options).replace(**changes), self.labels, self.label_codes)
        total = len(sources) if isinstance(sources, Sized) else None
        pending: list[_Job] = []
        batch: list[tuple[_Job, np.ndarray]] = []
        batch_frames = 0
        limit = round(opts.batch_s * self.sample_rate)
        finished = 0
        for source in sources:
            audio = self.prepare(load_audio(source, sample_rate=sample_rate))
            clips = self.clips(audio, opts)
            job = _Job(audio.source, audio.duration_s, [span for span, _ in clips], audio.sample_rate)
            job.lengths = [len(clip) for _, clip in clips]
            pending.append(job)
            for _, clip in clips:
                if batch and batch_frames + len(clip) > limit:
                    self._run(batch)
                    batch, batch_frames = [], 0
                batch.append((job, clip))
                batch_frames += len(clip)
                if len(batch) >= opts.batch_size:
                    self._run(batch)
                    batch, batch_frames = [], 0
            while pending and pending[0].done:
                yield self._finish(pending.pop(0), opts)
                finished += 1
                if progress:
                    progress(finished, total)
        if batch:
            self._run(batch)
        for job in pending:
            yield self._finish(job, opts)
            finished += 1
            if progress:
                progress(finished, total)

    def prepare(self, audio: Audio) -> Audio:
        """Downmix to mono and resample to the model's rate."""
        return audio.mono().resample(self.sample_rate)

    def clips(self, audio: Audio, opts: ClassifyOptions) -> list[tuple[tuple[int, int], np.ndarray]]:
        """The windows to classify: ``((start, end), samples)``, frames at the model's rate."""
        window_s = opts.window_s
        if window_s is None:
            window_s = self.window_s or LONG_AUDIO_WINDOW_S
            if audio.duration_s <= window_s:
                return [((0, audio.num_frames), audio.samples)]
        spans = plan_windows(audio.num_frames, audio.sample_rate, window_s, opts.hop_s or window_s)
        return [((a, b), audio.samples[a:b]) for a, b in spans]

    def _run(self, batch: list[tuple[_Job, np.ndarray]]) -> None:
        logits = self.forward([clip for _, clip in batch])
        for (job, _), row in zip(batch, logits):
            job.logits.append(row)

    def _finish(self, job: _Job, opts: ClassifyOptions) -> Prediction:
        if not job.logits:  # nothing to classify (e.g. no speech for a speech model)
            overall = (Score(UNKNOWN, 1.0),) if opts.abstain_below is not None else ()
            return Prediction(overall, source=job.source, duration_s=job.duration_s)
        function = opts.function_to_apply or self.default_function or ("sigmoid" if self.multi_label else "softmax")
        logits = restrict_logits(np.stack(job.logits), self.labels, opts.restrict)
        scores = activate(logits, function)
        labels, codes = self.labels, self.label_codes

        def ranked(vector: np.ndarray) -> tuple[Score, ...]:
            return _abstain(rank(vector, labels, opts, codes), vector, opts.abstain_below)

        timeline = None
        if len(job.spans) > 1:
            spans_s = [(a / job.sample_rate, b / job.sample_rate) for a, b in job.spans]
            timeline = merge_runs(spans_s, scores, ranked, merge=opts.merge)
        overall = ranked(pool(scores, opts.pooling, np.asarray(job.lengths, dtype=np.float64)))
        extra = {"timeline": timeline} if timeline is not None else {}
        return Prediction(overall, source=job.source, duration_s=job.duration_s, **extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, labels={len(self.labels)}, sample_rate={self.sample_rate})"


def _abstain(ranked: tuple[Score, ...], scores: np.ndarray, below: float | None) -> tuple[Score, ...]:
    """Put ``unknown`` first when the best score is under ``below``: no confident wrong answer."""
    if below is None or not ranked:
        return ranked
    best = float(np.max(scores))
    return ((Score(UNKNOWN, 1.0 - best),) + ranked) if best < below else ranked
