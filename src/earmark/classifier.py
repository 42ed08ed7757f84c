"""The one classifier interface every engine implements.

An engine supplies ``sample_rate``, ``labels``, its natural ``window_s`` and a ``forward`` from a batch of
mono clips to logits. Everything else - decoding, downmixing, resampling, long-audio windows, batching,
activation, top-k, pooling, calibrated thresholds and timelines - lives here once, for every engine.

What callers need to know about a model is on this interface too, never found by probing an engine's
attributes: ``engine``, ``size_bytes``, ``zero_shot`` and ``labels_bound``, ``stream_window_s``,
``calibration``, and ``frame_scorers()`` for streaming.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, Any

import numpy as np

from .audio import Audio
from .errors import EarmarkError, ModelError, OptionError, fixed_labels
from .fold import Fold
from .frames import FrameScorer, SlidingWindowScorer
from .io.blocks import model_blocks, open_stream
from .io.decode import AudioInput, decode_stream, load_audio
from .io.readahead import prefetch, read_ahead
from .io.resample import piece_start
from .io.urls import is_url
from .jobs import Batcher, Job
from .options import ClassifyOptions
from .results import Failure, Prediction, Score, Segment, Timeline
from .scoring import activate, nothing_heard, ranker, resolve_labels, restrict_logits
from .spans import SpanInput, SpanResult
from .validate import block_checker, check_audio
from .windows import Grid, Plan, extract, plan_windows, stream_windows

if TYPE_CHECKING:
    from .calibration import Calibration

__all__ = ["Classifier", "ProgressCallback"]

logger = logging.getLogger("earmark")

ProgressCallback = Callable[[int, "int | None"], None]
SegmentCallback = Callable[["str | None", Segment], None]
# Files longer than this are classified from a stream of blocks (constant memory); shorter ones are
# decoded whole in a read-ahead thread (the same blocks, the same windows).
STREAM_ABOVE_S = 120.0
# Windows of a streamed file decoded ahead of the model, in a background thread.
PREFETCH_WINDOWS = 16
# Models that take any length (wav2vec2, HuBERT...) still cost O(n^2) in attention:
# longer inputs are classified in windows of this length unless window_s says otherwise.
LONG_AUDIO_WINDOW_S = 30.0


# Shorter clips (and windows) are zero-padded to this: every engine's front end needs a few frames
# (an AST filterbank or a wav2vec2 convolution stack fails on 5 ms of audio).
MIN_CLIP_S = 0.025


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
    calibration: Calibration | None = None
    """Per-class thresholds and score maps (:mod:`earmark.calibration`), set by ``earmark.load``."""

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

    def recording_options(self, info: Any) -> dict[str, Any]:
        """:class:`ClassifyOptions` changes for one recording, from its
        :class:`~earmark.io.recordings.RecordingInfo` (BirdNET: the species expected at its place
        in its week); none by default."""
        return {}

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
        on_segment: SegmentCallback | None = None,
        keep_timeline: bool = True,
        recordings: Any = None,
        **changes: Any,
    ) -> Iterator[Prediction | Failure]:
        """Like :meth:`classify_many`, yielding each prediction as soon as its input is done.

        ``errors="raise"`` stops at the first input that cannot be classified (an :class:`EarmarkError`);
        ``errors="yield"`` yields a :class:`Failure` in its place and goes on, so one bad file never
        stops a run and no finished result is lost. ``on_segment(source, segment)`` gets each timeline
        segment as soon as it is closed (a long recording's timeline written as it is made); with
        ``keep_timeline=False`` predictions do not hold their timelines (constant memory).
        ``recordings`` (an :class:`earmark.io.recordings.Recordings`) tells the model when and where each
        file was recorded (:meth:`recording_options`)."""
        if errors not in ("raise", "yield"):
            raise OptionError(f"errors={errors!r} is not allowed; use 'raise' or 'yield'")
        opts = resolve_labels((options or self.default_options).replace(**changes), self.labels, self.label_codes)
        total = len(sources) if isinstance(sources, Sized) else None
        pending: list[Job] = []
        batcher = Batcher(self, opts, errors)
        finished = 0
        for name, job in read_ahead(sources, self._open, sample_rate, opts, workers=opts.readahead):
            if isinstance(job, Exception):
                if errors == "raise":
                    raise _as_earmark_error(job, name) from job
                job = Job(name, 0, error=job)
            job_opts = opts
            if recordings is not None and job.error is None and job.source:
                job_opts = opts.replace(**self.recording_options(recordings.info(job.path)))
            job.fold, job.options = self._fold(job_opts, job, on_segment, keep_timeline), job_opts
            pending.append(job)
            try:
                for span, clip in job.windows:
                    job.waiting[job.sent] = (span, len(clip), None)
                    batcher.add(job, job.sent, clip)
                    job.sent += 1
            except Exception as e:  # damage met mid-file: the windows before it are already on their way
                if errors == "raise":
                    raise _as_earmark_error(e, name) from e
                job.error = job.error or e
            job.exhausted = True
            while pending and pending[0].done:
                yield self._finish(pending.pop(0), opts)
                finished += 1
                if progress:
                    progress(finished, total)
        batcher.flush()
        for job in pending:
            yield self._finish(job, opts)
            finished += 1
            if progress:
                progress(finished, total)

    def _open(self, source: AudioInput, sample_rate: int | None, opts: ClassifyOptions) -> Job:
        """An input's job (in a read-ahead thread): a file longer than ``STREAM_ABOVE_S`` streams its
        windows from its blocks; anything else is decoded whole and cut by the same plan."""
        grid = self.grid(opts)
        if isinstance(source, SpanInput):
            if grid is None:
                raise OptionError(f"{self.name}: its windows need the whole recording; it cannot run in spans")
            return self._stream_job(open_stream(source.path), grid, opts, source)
        path = _file_path(source)
        if path is not None and grid is not None and sample_rate is None:
            stream = open_stream(path)
            if stream.duration_s is None or stream.duration_s > STREAM_ABOVE_S:
                return self._stream_job(stream, grid, opts)
            audio = self.prepare(check_audio(decode_stream(stream), opts))  # short: whole, from the open stream
        else:
            audio = self._decode(source, sample_rate, opts)
        clips = self.clips(audio, opts)
        return Job(audio.source, audio.sample_rate, iter(clips), audio.num_samples)

    def _stream_job(self, stream: Any, grid: Grid, opts: ClassifyOptions, span: SpanInput | None = None) -> Job:
        """A file's windows from its blocks; for a span, only its windows, read from the start of the
        resampling piece that holds the first (so its samples are the whole file's)."""
        try:
            check = block_checker(stream, opts)
        except Exception:
            stream.close()
            raise
        job = Job(stream.source, self.sample_rate, span=span)
        first, stop, frame, origin = 0, None, 0, 0
        if span is not None:
            first, stop = span.window_range(grid.hop, self.sample_rate)
            frame, origin = piece_start(grid.window_at(first)[1][0], stream.sample_rate, self.sample_rate)

        def windows() -> Iterator[tuple[tuple[int, int], np.ndarray]]:
            with stream:
                blocks = model_blocks(stream, self.sample_rate, start=frame, origin=origin, check=check)
                plan = lambda n: self.plan(n, opts)  # noqa: E731
                yield from stream_windows(
                    blocks, grid, plan, origin=origin, first=first, stop=stop, on_end=job.set_length
                )

        job.windows = prefetch(windows(), PREFETCH_WINDOWS)
        return job

    def ranker(self, opts: ClassifyOptions) -> Callable[[np.ndarray], tuple[Score, ...]]:
        """Score vector -> ranked labels under ``opts`` (top-k, filters, threshold, abstaining)."""
        return ranker(self.labels, self.label_codes, opts, self.calibration)

    def thresholds_note(self, opts: ClassifyOptions | None = None) -> str | None:
        """Which thresholds a prediction under ``opts`` applies, in one line (None: no threshold)."""
        from .calibration import thresholds_note

        opts = opts or self.default_options
        return thresholds_note(self.calibration if opts.calibrated else None, opts.threshold)

    def _fold(self, opts: ClassifyOptions, job: Job, on_segment: SegmentCallback | None, keep: bool) -> Fold:
        if job.span is not None:  # both ends open: its first and last runs may join its neighbours'
            return Fold(opts.pooling, self.ranker(opts), merge=opts.merge, keep=False, open_ends=True)
        emit = None if on_segment is None else (lambda segment: on_segment(job.source, segment))
        return Fold(opts.pooling, self.ranker(opts), merge=opts.merge, on_segment=emit, keep=keep)

    def _decode(self, source: AudioInput, sample_rate: int | None, opts: ClassifyOptions) -> Audio:
        """Decode, check and prepare one input (in a read-ahead thread)."""
        return self.prepare(check_audio(load_audio(source, sample_rate=sample_rate), opts))

    def prepare(self, audio: Audio) -> Audio:
        """Downmix to mono and resample to the model's rate."""
        return audio.mono().resample(self.sample_rate)

    def grid(self, opts: ClassifyOptions) -> Grid | None:
        """The model's window grid (None: its windows need the whole recording, so a file is decoded
        whole); engines with their own windows override it with :meth:`plan`."""
        window_s = opts.window_s or self.window_s or LONG_AUDIO_WINDOW_S
        rate = self.sample_rate
        return Grid(max(1, round(window_s * rate)), max(1, round((opts.hop_s or window_s) * rate)))

    def plan(self, num_samples: int, opts: ClassifyOptions) -> Plan:
        """The windows of a recording of ``num_samples`` samples, as ``(span, extent)``: a recording
        no longer than a window is one window; the last window is aligned to the end."""
        window_s = opts.window_s or self.window_s or LONG_AUDIO_WINDOW_S
        spans = plan_windows(num_samples, self.sample_rate, window_s, opts.hop_s or window_s)
        return [(span, span) for span in spans]

    def clips(self, audio: Audio, opts: ClassifyOptions) -> list[tuple[tuple[int, int], np.ndarray]]:
        """The windows to classify: ``((start, end), samples)``, samples at the model's rate."""
        n = audio.num_samples
        return [(span, extract(audio.samples, 0, extent, n)) for span, extent in self.plan(n, opts)]

    def _run(self, batch: list[tuple[Job, int, np.ndarray]], errors: str = "raise") -> None:
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
                failed.waiting.pop(batch[0][1], None)
                failed.folded += 1  # counted, never folded: the job is a Failure
                self._fold_ready(failed)
                return
            for one in batch:  # find the clip that fails; the others still get their scores
                self._run([one], errors)
            return
        for (job, index, _), row in zip(batch, logits):
            span, length, _ = job.waiting[index]
            job.waiting[index] = (span, length, row)
        for job in {id(job): job for job, *_ in batch}.values():
            self._fold_ready(job)

    def _fold_ready(self, job: Job) -> None:
        """Fold the job's windows whose logits are back, in order, and let them go."""
        opts = job.options
        function = opts.function_to_apply or self.default_function or ("sigmoid" if self.multi_label else "softmax")
        rate = job.sample_rate
        while job.error is None and job.folded in job.waiting and job.waiting[job.folded][2] is not None:
            (a, b), length, row = job.waiting.pop(job.folded)
            scores = activate(restrict_logits(row[None, :], self.labels, opts.restrict), function)[0]
            job.fold.add(a / rate, b / rate, scores, length)
            job.folded += 1
        if job.error is not None:  # a failed job's other windows are dropped as they come back
            for index in [i for i, (*_, row) in job.waiting.items() if row is not None]:
                job.waiting.pop(index)
                job.folded += 1

    def _finish(self, job: Job, opts: ClassifyOptions) -> Prediction | SpanResult | Failure:
        if job.error is not None:
            return Failure.of(job.source, _as_earmark_error(job.error, job.source))
        pooled = job.fold.finish()
        if job.span is not None:
            return SpanResult(job.source, job.span.index, job.span.count, job.fold.state, job.num_samples)
        if pooled is None:  # nothing to classify (e.g. no speech for a speech model)
            return Prediction(nothing_heard(opts), source=job.source, duration_s=job.duration_s)
        segments = job.fold.segments
        extra = {"timeline": Timeline(segments)} if segments else {}
        return Prediction(job.fold.ranked(pooled), source=job.source, duration_s=job.duration_s, **extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, labels={len(self.labels)}, sample_rate={self.sample_rate})"


def _file_path(source: Any) -> str | None:
    """The path of an input that is a local file (a path, or a labelled clip of a whole file)."""
    import os

    if isinstance(source, (str, os.PathLike)) and not is_url(os.fspath(source)):
        return os.fspath(source)
    if getattr(source, "audio", True) is None and getattr(source, "start_s", 0) is None:
        return str(source.source)  # a LabelledClip of a whole file
    return None


def _as_earmark_error(error: Exception, source: str | None) -> EarmarkError:
    """Errors earmark raised stay as they are; anything else is wrapped, naming the input."""
    if isinstance(error, EarmarkError):
        return error
    wrapped = ModelError(f"{source}: could not be classified ({type(error).__name__}: {error})")
    wrapped.__cause__ = error
    return wrapped
