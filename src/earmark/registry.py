"""The engine table, the one parsed model reference, and ``earmark.load``.

A model reference is parsed once, by :func:`parse_ref`, into a :class:`ModelRef`: a task name (its
default model), a folder, a file, a Hub id, a built-in name, or ``wake-word/NAME`` references joined
by commas, with an optional ``@ENGINE[-PRECISION]`` suffix (``M@onnx-int8``) spelt as the engine table
spells it. Every caller passes references through it; nothing else splits reference strings.

Each :class:`Engine` row is a contract: the references it claims (a cheap ``claims(ref)`` and the
built-in ``models`` it serves), the dotted path of its loader (imported only when chosen), and what it
honours: compute types, devices, thread control, engine options, zero-shot labels, and the other
runtimes it can run a part on (a trained head's encoder on ``onnx``). ``load`` checks a request
against the chosen row *before* the loader runs; what the engine cannot honour is an OptionError naming
the engine, what it accepts and which engines take the option. A package an engine needs that this
install lacks is a MissingExtraError naming the extra.

A third-party package registers an engine with::

    [project.entry-points."earmark.engines"]
    my-engine = "my_package.earmark_engine:ENGINE"    # an earmark.registry.Engine

Engines never call :func:`load`; applications (streaming, evaluation, training, the CLI...) do.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .classifier import Classifier
from .errors import ModelError, OptionError, extra_for, fixed_labels
from .hub import looks_local
from .manifest import folder_format, is_export
from .options import AUTO, LoadOptions, check_device_present, device_kind
from .reference import WAKE_WORD_PREFIX, ModelRef, is_wake_word_list, parse
from .tasks import TASKS

__all__ = [
    "AUTO",
    "ENGINES",
    "ENTRY_POINT_GROUP",
    "WAKE_WORD_PREFIX",
    "Engine",
    "LoadOptions",
    "ModelRef",
    "Runtime",
    "engines",
    "load",
    "load_ref",
    "parse_ref",
]

logger = logging.getLogger("earmark")

ENTRY_POINT_GROUP = "earmark.engines"


@dataclass(frozen=True)
class Runtime:
    """What an engine honours on one runtime: compute types (the first the default), devices, threads."""

    name: str
    compute_types: tuple[str, ...] = ("float32",)
    devices: tuple[str, ...] = ("cpu",)
    threads: bool = False


@dataclass(frozen=True)
class Engine:
    """One model family: the references it claims, the loader (``"module:function"``, called with ``(ref,
    options)``) that turns one into a Classifier, and what it honours."""

    name: str
    claims: Callable[[str], bool]
    loader: str
    description: str = ""
    compute_types: tuple[str, ...] = ("float32",)  # precisions it runs, the default first
    devices: tuple[str, ...] = ("cpu",)  # device kinds it can run on
    threads: bool = False  # whether it takes ``threads``
    zero_shot: bool = False  # it binds free-text labels
    auto: bool = True  # asked by engine="auto"; False: only when named (onnx, which exports the model first)
    options: tuple[str, ...] = ()  # the engine options (LoadOptions.engine_options) it takes
    models: tuple[str, ...] = ()  # built-in model names it serves (whisper-base), whatever claims says
    precision_from_model: bool = False  # an export fixes its own; the loader refuses another
    runtimes: tuple[Runtime, ...] = ()
    """Other engines' names it also answers to, with what it honours there: a trained head runs its
    encoder on ``transformers`` or ``onnx``, so ``engine="onnx"`` asks it too."""

    @property
    def runtime(self) -> Runtime:
        """Its own contract, when chosen by its name or by ``auto``."""
        return Runtime(self.name, self.compute_types, self.devices, self.threads)

    def answers_to(self, engine: str) -> Runtime | None:
        """The contract it runs under when ``engine`` is asked for, or None when it does not answer."""
        if engine in (AUTO, self.name):
            return self.runtime if engine == self.name or self.auto else None
        return next((r for r in self.runtimes if r.name == engine), None)

    def serves(self, ref: str) -> bool:
        return ref in self.models or self.claims(ref)

    def check(self, ref: str, options: LoadOptions, runtime: Runtime, table: Sequence[Engine]) -> LoadOptions:
        """``options`` as the loader gets them (compute type filled in, runtime named), or an
        :class:`OptionError` for the first thing this engine cannot honour."""
        if options.zero_shot and not self.zero_shot:
            raise fixed_labels(ref)
        unknown = sorted({name for name, _ in options.engine_options} - set(self.options))
        if unknown:
            allowed = f"it takes {', '.join(self.options)}" if self.options else "it takes none"
            raise OptionError(f"option(s) {', '.join(unknown)} are not for the {self.name} engine ({ref!r}); {allowed}")
        where = self.name if runtime.name == self.name else f"{self.name} engine on {runtime.name}"
        compute_type = options.compute_type or (None if self.precision_from_model else runtime.compute_types[0])
        if compute_type is not None and compute_type not in runtime.compute_types:
            hint = _elsewhere(table, ref, lambda r: compute_type in r.compute_types, f"-{compute_type}")
            raise OptionError(
                f"compute_type={compute_type!r}: the {where} engine runs {' or '.join(runtime.compute_types)}{hint}"
            )
        kind = device_kind(options.device)
        if kind not in runtime.devices:
            hint = _elsewhere(table, ref, lambda r: kind in r.devices, "")
            raise OptionError(
                f"device={options.device!r}: the {where} engine runs on {' or '.join(runtime.devices)} only{hint}"
            )
        if kind != "cpu":
            check_device_present(options.device)
        if options.threads is not None and not runtime.threads:
            hint = _elsewhere(table, ref, lambda r: r.threads, "")
            raise OptionError(f"threads={options.threads}: the {where} engine does not set its threads{hint}")
        return options.replace(compute_type=compute_type, runtime=runtime.name)

    def load(self, ref: str, options: LoadOptions) -> Classifier:
        module, _, function = self.loader.partition(":")
        try:
            return getattr(importlib.import_module(module), function)(ref, options)
        except ModuleNotFoundError as e:  # an optional package of a smaller install: name its extra
            missing = extra_for(e, f"the {self.name} engine ({ref})")
            if missing is None:
                raise
            raise missing from e


def _elsewhere(table: Sequence[Engine], ref: str, accepts: Callable[[Runtime], bool], suffix: str) -> str:
    """Where a refused option does run: the engines whose contract accepts it, and the reference
    spelt for the first of them that also takes this model (``M@onnx-int8``)."""
    names = [e.name for e in table if accepts(e.runtime)]
    # a reference a specific engine owns (wake-word/alexa) is not a Hub id for the catch-alls to suggest
    owned = any(not _catch_all(e) and e.serves(ref) for e in table)
    takers = [e for e in table if e.serves(ref) and not (owned and _catch_all(e))]
    fits = [r.name for e in takers for r in (e.runtime, *e.runtimes) if accepts(r)]
    if not names and not fits:
        return "; no engine here does"
    spelt = f" ({ref}@{fits[0]}{suffix})" if fits else ""
    return f"; it runs on {', '.join(dict.fromkeys(names + fits))}{spelt}"


def _catch_all(engine: Engine) -> bool:  # the engines that claim any Hub id or folder (onnx, transformers)
    return engine.claims is _is_hub_id_or_folder


def _folder_with(*names: str) -> Callable[[str], bool]:
    def claims(ref: str) -> bool:
        path = Path(ref).expanduser()
        return all((path / name).is_file() for name in names)

    return claims


def _is_hub_id_or_folder(ref: str) -> bool:
    return Path(ref).expanduser().is_dir() or not looks_local(ref)


def _is_head(ref: str) -> bool:
    return folder_format(ref) == ""


ONNX_COMPUTE, TORCH_DEVICES = ("float32", "int8"), ("cpu", "cuda", "mps")


# The built-in engines, asked in this order (the transformers catch-all last, after entry points).
ENGINES: tuple[Engine, ...] = (
    Engine(
        "exported",
        is_export,
        "earmark.engines.exported:load",
        "folders written by earmark export: ONNX Runtime and NumPy, no torch (float32 or int8, as exported)",
        compute_types=ONNX_COMPUTE,
        threads=True,
        zero_shot=True,  # refused by the loader with its own message: labels are bound at export
        precision_from_model=True,
    ),
    Engine(
        "speakers",
        lambda ref: folder_format(ref) == "earmark-speakers",
        "earmark.engines.speakers:load",
        "speakers enrolled by earmark enroll (GE2E or a Hub x-vector model): who speaks, or unknown",
        threads=True,
    ),
    Engine(
        "head",
        _is_head,
        "earmark.engines.head:load",
        "heads trained by earmark train (the encoder on transformers by default, or on onnx)",
        threads=True,
        runtimes=(Runtime("transformers", threads=True), Runtime("onnx", ONNX_COMPUTE, threads=True)),
    ),
    Engine(
        "wake-word",
        is_wake_word_list,
        "earmark.engines.wakeword:load",
        "openWakeWord / microWakeWord (wake-word/NAME[@micro], comma-joined)",
        threads=True,
    ),
    Engine(
        "mlcommons-kws",
        lambda ref: ref.endswith(".tflite"),
        "earmark.engines.mlcommons_kws:load",
        "the MLCommons Tiny keyword-spotting TFLite model",
        threads=True,
    ),
    Engine(
        "ct2",
        _folder_with("model.bin", "vocabulary.txt"),
        "earmark.engines.whisper:load_ct2",
        "Whisper language ID on CTranslate2 (whisper-base offline, or a faster-whisper folder)",
        compute_types=("float32", "int8"),
        threads=True,
        models=("whisper-base",),
    ),
    Engine(
        "birdnet",
        lambda ref: False,
        "earmark.engines.birdnet:load",
        "BirdNET V2.4: 6,522 birds and other sounds, offline (CC BY-NC-SA 4.0: non-commercial)",
        threads=True,
        options=("sensitivity", "overlap", "lat", "lon", "week", "sf_thresh", "species_list"),
        models=("birdnet",),
    ),
    Engine(
        "musicnn",
        lambda ref: False,
        "earmark.engines.musicnn:load",
        "musicnn music taggers, 50 tags each (musicnn-mtt: MagnaTagATune, musicnn-msd: Million Song Dataset)",
        threads=True,
        models=("musicnn-mtt", "musicnn-msd", "musicnn-msd-genre"),
    ),
)
ONNX = Engine(
    "onnx",
    _is_hub_id_or_folder,
    "earmark.engines.onnx:load",
    "transformers audio classifiers and CLAP's audio tower on ONNX Runtime (float32 or int8)",
    compute_types=ONNX_COMPUTE,
    threads=True,
    auto=False,
    zero_shot=True,
)
FALLBACK = Engine(
    "transformers",
    _is_hub_id_or_folder,
    "earmark.engines.transformers:load",
    "any Hugging Face audio-classification model, CLAP zero-shot, Whisper language ID (Hub id or folder)",
    devices=TORCH_DEVICES,
    threads=True,
    zero_shot=True,
    models=("whisper-base",),  # converted once from the CTranslate2 weights
)


def engines() -> tuple[Engine, ...]:
    """Every engine, in the order ``load`` asks them: built-in, entry points, onnx, transformers."""
    from importlib.metadata import entry_points

    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            engine = point.load()
        except Exception as e:  # a broken plugin must not break every load
            logger.warning("engine entry point %r could not be loaded: %s", point.name, e)
            continue
        if not isinstance(engine, Engine):
            logger.warning("engine entry point %r is a %s, not an earmark.registry.Engine", point.name, type(engine))
            continue
        found.append(engine)
    return (*ENGINES, *found, ONNX, FALLBACK)


def engine_suffixes(table: Iterable[Engine] | None = None) -> dict[str, tuple[str, str | None]]:
    """``@SUFFIX`` spellings -> (engine, compute type or None), from the table: each engine's and
    runtime's name alone, and joined to each compute type it runs (``onnx-int8``)."""
    out: dict[str, tuple[str, str | None]] = {}
    for engine in table if table is not None else engines():
        for runtime in (engine.runtime, *engine.runtimes):
            out.setdefault(runtime.name, (runtime.name, None))
            for compute_type in runtime.compute_types:
                out.setdefault(f"{runtime.name}-{compute_type}", (runtime.name, compute_type))
    return out


def parse_ref(ref: str | os.PathLike | ModelRef, table: Sequence[Engine] | None = None) -> ModelRef:
    """The one parser of model references (:mod:`earmark.reference`), with the suffixes of the engine table."""
    return parse(ref, engine_suffixes(table))


def load(
    model: str | os.PathLike | ModelRef,
    options: LoadOptions | None = None,
    *,
    labels: Sequence[str] | str | None = None,
    template: str | None = None,
    engine: str | None = None,
    compute_type: str | None = None,
    device: str | None = None,
    revision: str | None = None,
    trust_remote_code: bool | None = None,
    threads: int | None = None,
    calibration: str | os.PathLike | None = None,
    **engine_options: Any,
) -> Classifier:
    """Load a classifier once, to be called on any number of inputs.

    ``model`` is a task name (``earmark models list``), a local directory, a Hugging Face Hub id,
    ``whisper-base`` (the offline Whisper base weights), ``wake-word/NAME`` or a ``.tflite`` file,
    optionally with an ``@ENGINE[-PRECISION]`` suffix (``M@onnx-int8`` equals ``engine="onnx",
    compute_type="int8"``). ``labels`` (and ``template``, default ``"This is a sound of {}."``) bind
    free-text labels to a zero-shot CLAP model. ``engine`` picks an engine by name (``auto``: the first
    that claims the model), ``compute_type`` its precision (``int8`` for ct2 and onnx), ``device`` and
    ``threads`` where it runs; what the engine cannot honour raises :class:`OptionError` before anything
    loads. Remote code runs only when ``trust_remote_code=True``. ``calibration`` is a
    ``calibration.json`` (``earmark calibrate``) or ``"none"``; by default a model folder's own
    applies. Other keywords are settings of one engine (``earmark.load("birdnet", lat=52.5,
    lon=13.4, week=20)``). ``options`` is a :class:`LoadOptions`, which the keywords given override.
    """
    given = {
        "labels": labels,
        "template": template,
        "engine": engine,
        "compute_type": compute_type,
        "device": device,
        "revision": revision,
        "trust_remote_code": trust_remote_code,
        "threads": threads,
        "calibration": os.fspath(calibration) if calibration is not None else None,
    }
    options = (options or LoadOptions()).replace(**{k: v for k, v in given.items() if v is not None})
    if engine_options:
        options = options.replace(engine_options=dict(options.engine_options) | engine_options)
    table = engines()  # entry points are scanned once per load, for the suffixes and the engines alike
    return load_ref(parse_ref(model, table), options, table)


def load_ref(ref: str | ModelRef, options: LoadOptions, table: Sequence[Engine] | None = None) -> Classifier:
    """Load a reference (parsed here if it is a string) with the engine that claims it, after checking its contract."""
    table = table if table is not None else engines()
    ref = parse_ref(ref, table)
    options = ref.options(options)
    names = [e.name for e in table]
    asked = options.engine
    if asked != AUTO and not any(e.answers_to(asked) for e in table):
        raise OptionError(f"engine={asked!r} is not allowed; use one of {(AUTO, *names)}")
    if ref.kind == "name" and not any(
        ref.target in e.models or (not _catch_all(e) and e.claims(ref.target)) for e in table
    ):
        close = difflib.get_close_matches(ref.target, list(TASKS), n=1, cutoff=0.8)
        if close:  # a misspelt task would otherwise go to the Hub as a model id
            raise ModelError(f"model {ref.text!r} is not a task; did you mean {close[0]!r}? tasks: {', '.join(TASKS)}")
    for candidate in table:
        runtime = candidate.answers_to(asked)
        if runtime is not None and candidate.serves(ref.target):
            checked = candidate.check(ref.target, options, runtime, table)
            logger.debug("loading %r with the %s engine on %s", ref.target, candidate.name, runtime.name)
            return _calibrated(candidate.load(ref.target, checked), ref.target, options.calibration)
    if asked != AUTO:
        chosen = next((e for e in table if e.name == asked), None)
        what = f"the {asked} engine ({chosen.description})" if chosen else f"no engine answering to {asked}"
        raise ModelError(f"{what} does not take {ref.text!r}")
    raise ModelError(
        f"model {ref.text!r}: no such directory or model file, and no engine takes it; pass a model directory, a Hub "
        f"id like 'org/name', or a task ({', '.join(TASKS)}); engines: {', '.join(names)}"
    )


def _calibrated(classifier: Classifier, target: str, given: str | None) -> Classifier:
    """The loaded model with its calibration (``given``, or its folder's ``calibration.json``), checked
    against its labels; whatever the engine, since thresholds act on scores."""
    from .calibration import find_calibration

    calibration = find_calibration(target, given)
    if calibration is None:
        return classifier
    if classifier.labels_bound:
        calibration.check(classifier.labels, target)
    classifier.calibration = calibration
    logger.info("%s: %s", target, calibration.describe())
    return classifier
