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
from .errors import EarmarkError, ModelError, OptionError, fixed_labels
from .frames import FrameScorer, SlidingWindowScorer
from .io.decode import AudioInput, load_audio
from .io.readahead import read_ahead
from .options import ClassifyOptions
from .results import Failure, Prediction, Score
from .scoring import activate, rank, resolve_labels, restrict_logits
from .validate import check_audio
from .windows import merge_runs, plan_windows, pool

__all__ = ["Classifier", "ProgressCallback"]

logger = logging.getLogger("earmark")

ProgressCallback = Callable[[int, "int | None"], None]
# Models that take any length (wav2vec2, HuBERT...) still cost O(n^2) in attention:
# longer inputs are classified in windows of this length unless window_s says otherwise.
LONG_AUDIO_WINDOW_S = 30.0
UNKNOWN = "unknown"


# Shorter clips (and windows) are zero-padded to this: every engine's front end needs a few frames
# (an AST filterbank or a wav2vec2 convolution stack fails on 5 ms of audio).
MIN_CLIP_S = 0.025


@dataclass
class _Job:
    """One input on its way through the model."""

    source: str | None
    duration_s: float
    spans: list[tuple[int, int]]
    sample_rate: int
    logits: dict[int, np.ndarray] = field(default_factory=dict)
    """Each clip's logits by its index (length buckets may run a job's clips out of order)."""
    lengths: list[int] = field(default_factory=list)
    error: Exception | None = None
    failed_clips: int = 0

    @property
    def done(self) -> bool:
        return len(self.logits) + self.failed_clips == len(self.spans)


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
    equal_length_batches: bool = False
    """True for models whose batches must hold clips of one length (wav2vec2-base pads without a mask):
    ``classify_many`` then groups the clips of the read-ahead window into length buckets."""
    compute_type: str = "float32"
    """The numeric precision it runs in."""
    device: str = "cpu"
    """Where it runs (``cpu``, ``cuda:N``, ``mps``)."""
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
    def identity(self) -> dict[str, Any]:
        """What makes this model's results what they are (resume journals are bound to it): its name,
        engine and class and, for a model on disk, its files' hashes."""
        from .hashing import file_signature

        return {
            "name": self.name,
            "engine": self.engine,
            "class": type(self).__name__,
            "files": file_signature(self.name),
        }

    @property
    def labels_bound(self) -> bool:
        """Whether :attr:`labels` can be read: always, except for a zero-shot model without labels."""
        return True

    def with_labels(self, labels: Sequence[str], template: str | None = None) -> Classifier:
        """The same model with other free-text labels; only zero-shot models have this."""
        raise fixed_labels(self.name)

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
        errors: str = "raise",
        **changes: Any,
    ) -> list[Prediction | Failure]:
        """Classify many inputs, batched through the model; results keep the order of the inputs
        (with ``errors="yield"``, a :class:`Failure` in a bad input's place)."""
        return list(
            self.iter_classify(sources, options, sample_rate=sample_rate, progress=progress, errors=errors, **changes)
        )

    def iter_classify(
        self,
        sources: Iterable[AudioInput],
        options: ClassifyOptions | None = None,
        *,
        sample_rate: int | None = None,
        progress: ProgressCallback | None = None,
        errors: str = "raise",
        **changes: Any,
    ) -> Iterator[Prediction | Failure]:
        """Like :meth:`classify_many`, yielding each prediction as soon as its input is done.

        ``errors="raise"`` stops at the first input that cannot be classified (an :class:`EarmarkError`);
        ``errors="yield"`` yields a :class:`Failure` in its place and goes on, so one bad file never
        stops a run and no finished result is lost."""
        if errors not in ("raise", "yield"):
            raise OptionError(f"errors={errors!r} is not allowed; use 'raise' or 'yield'")
        opts = resolve_labels((options or self.default_options).replace(**changes), self.labels, self.label_codes)
        total = len(sources) if isinstance(sources, Sized) else None
        pending: list[_Job] = []
        batch: list[tuple[_Job, int, np.ndarray]] = []
        batch_frames = 0
        limit = round(opts.batch_s * self.sample_rate)
        buckets = _Buckets(self, opts.batch_size, limit, errors) if self.equal_length_batches else None
        finished = 0
        for name, audio in read_ahead(sources, self._decode, sample_rate, opts, workers=opts.readahead):
            try:
                if isinstance(audio, Exception):
                    raise audio
                clips = self.clips(audio, opts)
            except Exception as e:
                if errors == "raise":
                    raise _as_earmark_error(e, name) from e
                pending.append(_Job(name, 0.0, [], 0, error=e))
                clips = []
            else:
                job = _Job(audio.source, audio.duration_s, [span for span, _ in clips], audio.sample_rate)
                job.lengths = [len(clip) for _, clip in clips]
                pending.append(job)
            for index, (_, clip) in enumerate(clips):
                if buckets is not None:
                    buckets.add(job, index, clip)
                    continue
                if batch and batch_frames + len(clip) > limit:
                    self._run(batch, errors)
                    batch, batch_frames = [], 0
                batch.append((job, index, clip))
                batch_frames += len(clip)
                if len(batch) >= opts.batch_size:
                    self._run(batch, errors)
                    batch, batch_frames = [], 0
            while pending and pending[0].done:
                yield self._finish(pending.pop(0), opts)
                finished += 1
                if progress:
                    progress(finished, total)
        if batch:
            self._run(batch, errors)
        if buckets is not None:
            buckets.flush()
        for job in pending:
            yield self._finish(job, opts)
            finished += 1
            if progress:
                progress(finished, total)

    def _decode(self, source: AudioInput, sample_rate: int | None, opts: ClassifyOptions) -> Audio:
        """Decode, check and prepare one input (in a read-ahead thread)."""
        return self.prepare(check_audio(load_audio(source, sample_rate=sample_rate), opts))

    def prepare(self, audio: Audio) -> Audio:
        """Downmix to mono and resample to the model's rate."""
        return audio.mono().resample(self.sample_rate)

    def clips(self, audio: Audio, opts: ClassifyOptions) -> list[tuple[tuple[int, int], np.ndarray]]:
        """The windows to classify: ``((start, end), samples)``, frames at the model's rate."""
        window_s = opts.window_s
        if window_s is None:
            window_s = self.window_s or LONG_AUDIO_WINDOW_S
            if audio.duration_s <= window_s:
                return [((0, audio.num_samples), audio.samples)]
        spans = plan_windows(audio.num_samples, audio.sample_rate, window_s, opts.hop_s or window_s)
        return [((a, b), audio.samples[a:b]) for a, b in spans]

    def _run(self, batch: list[tuple[_Job, int, np.ndarray]], errors: str = "raise") -> None:
        shortest = round(MIN_CLIP_S * self.sample_rate)
        clips = [clip if len(clip) >= shortest else np.pad(clip, (0, shortest - len(clip))) for *_, clip in batch]
        try:
            logits = self.forward(clips)
        except Exception as e:
            failed = batch[0][0] if len(batch) == 1 else None
            if failed is not None or errors == "raise":
                if errors == "raise":
                    sources = sorted({str(job.source) for job, *_ in batch})
                    raise ModelError(f"{self.name}: the model failed on {', '.join(sources)[:300]}: {e}") from e
                failed.failed_clips += 1
                failed.error = failed.error or e
                return
            for one in batch:  # find the clip that fails; the others still get their scores
                self._run([one], errors)
            return
        for (job, index, _), row in zip(batch, logits):
            job.logits[index] = row

    def _finish(self, job: _Job, opts: ClassifyOptions) -> Prediction | Failure:
        if job.error is not None:
            return Failure.of(job.source, _as_earmark_error(job.error, job.source))
        if not job.logits:  # nothing to classify (e.g. no speech for a speech model)
            overall = (Score(UNKNOWN, 1.0),) if opts.abstain_below is not None else ()
            return Prediction(overall, source=job.source, duration_s=job.duration_s)
        function = opts.function_to_apply or self.default_function or ("sigmoid" if self.multi_label else "softmax")
        logits = restrict_logits(np.stack([job.logits[i] for i in sorted(job.logits)]), self.labels, opts.restrict)
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


def _as_earmark_error(error: Exception, source: str | None) -> EarmarkError:
    """Errors earmark raised stay as they are; anything else is wrapped, naming the input."""
    if isinstance(error, EarmarkError):
        return error
    wrapped = ModelError(f"{source}: could not be classified ({type(error).__name__}: {error})")
    wrapped.__cause__ = error
    return wrapped


class _Buckets:
    """Length buckets for models that batch equal lengths only: a bucket runs when it holds a batch
    (or ``batch_s`` of audio); when the window of held clips (4 batches) is full, the oldest bucket
    runs part-full. Results still come out in input order (each job waits for all its clips)."""

    WINDOW_BATCHES = 4

    def __init__(self, classifier: Classifier, batch_size: int, limit: int, errors: str) -> None:
        self.classifier, self.batch_size, self.limit, self.errors = classifier, batch_size, limit, errors
        self.held: dict[int, list[tuple[_Job, int, np.ndarray]]] = {}
        self.count = 0

    def add(self, job: _Job, index: int, clip: np.ndarray) -> None:
        bucket = self.held.setdefault(len(clip), [])
        if bucket and (len(bucket) + 1) * len(clip) > self.limit:
            self._run(len(clip))
            bucket = self.held.setdefault(len(clip), [])
        bucket.append((job, index, clip))
        self.count += 1
        if len(bucket) >= self.batch_size:
            self._run(len(clip))
        elif self.count >= self.WINDOW_BATCHES * self.batch_size:
            self._run(next(iter(self.held)))  # the oldest bucket

    def flush(self) -> None:
        while self.held:
            self._run(next(iter(self.held)))

    def _run(self, length: int) -> None:
        batch = self.held.pop(length)
        self.count -= len(batch)
        self.classifier._run(batch, self.errors)
