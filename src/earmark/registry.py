"""The engine table and ``earmark.load``: a task name, a local directory or a Hub id -> a :class:`Classifier`.

Each :class:`Engine` has a cheap ``claims(ref)`` test and the dotted path of its loader, imported only
when that engine is chosen. ``load`` asks the engines in order (the built-in ones, then those other
packages register in the ``earmark.engines`` entry-point group, then the transformers catch-all) and
the first that claims the reference loads it. A third-party package registers an engine with::

    [project.entry-points."earmark.engines"]
    my-engine = "my_package.earmark_engine:ENGINE"    # an earmark.registry.Engine

Engines never call :func:`load`; applications (streaming, evaluation, training, the CLI...) do.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .classifier import Classifier
from .errors import ModelError, OptionError
from .hub import looks_local
from .tasks import TASKS

__all__ = ["ENGINES", "ENTRY_POINT_GROUP", "Engine", "LoadOptions", "engines", "load"]

logger = logging.getLogger("earmark")

ENTRY_POINT_GROUP = "earmark.engines"
AUTO = "auto"


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model; every engine gets the same object and uses what applies to it."""

    labels: tuple[str, ...] | None = None
    """Free-text labels bound to a zero-shot (CLAP) model."""
    template: str | None = None
    """Zero-shot prompt with ``{}`` for the label."""
    engine: str = AUTO
    """An engine's name from :func:`engines`, or ``auto``: the first engine that claims the reference."""
    compute_type: str = "float32"
    """Numeric precision where the engine has a choice (CTranslate2: ``int8`` is ~1.7x faster on a CPU)."""
    device: str = "cpu"
    """torch device for torch engines."""
    revision: str | None = None
    """Hub revision (branch, tag or commit)."""
    trust_remote_code: bool = False
    """Run a Hub model's own code; only for models you trust."""
    threads: int | None = None
    """CPU threads for engines that set them (ONNX Runtime; default: the physical cores)."""
    engine_options: tuple[tuple[str, Any], ...] = ()
    """Settings only one engine has (BirdNET: ``sensitivity``, ``lat``/``lon``/``week``...), as pairs."""

    def __post_init__(self) -> None:
        check_device(self.device)

    @property
    def zero_shot(self) -> bool:
        return self.labels is not None or self.template is not None


def check_device(device: str) -> None:
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps``, and only a GPU that is there."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|mps|cuda(:\d+)?", device):
        raise OptionError(f"device={device!r} is not allowed; use cpu, cuda, cuda:N or mps")
    if device == "cpu":
        return
    import torch

    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise OptionError(f"device={device!r}: this machine has {count} CUDA GPU(s) visible to torch; use cpu")
    elif not torch.backends.mps.is_available():
        raise OptionError("device='mps': Apple's Metal backend is not available here; use cpu")


@dataclass(frozen=True)
class Engine:
    """One model family: which references it claims and the loader that turns one into a Classifier.

    ``loader`` is ``"module:function"``; the function takes ``(ref, options: LoadOptions)``.
    ``zero_shot``: the engine can bind free-text labels.
    """

    name: str
    claims: Callable[[str], bool]
    loader: str
    description: str = ""
    zero_shot: bool = field(default=False)
    auto: bool = True
    """Asked by ``engine="auto"``; False: only when named (e.g. ``onnx``, which exports the model first)."""
    options: tuple[str, ...] = ()
    """The engine options (``LoadOptions.engine_options``) it takes."""
    runtimes: tuple[str, ...] = ()
    """Other engines' names it also answers to, as the runtime of a part it runs (a trained head's
    encoder on ``onnx``): ``engine="onnx"`` asks it as well as the onnx engine."""

    def load(self, ref: str, options: LoadOptions) -> Classifier:
        if options.zero_shot and not self.zero_shot:
            raise OptionError(f"labels/template are only for zero-shot (CLAP) models; {ref!r} has fixed labels")
        unknown = sorted({name for name, _ in options.engine_options} - set(self.options))
        if unknown:
            allowed = f"it takes {', '.join(self.options)}" if self.options else "it takes none"
            raise OptionError(f"option(s) {', '.join(unknown)} are not for the {self.name} engine ({ref!r}); {allowed}")
        module, _, function = self.loader.partition(":")
        return getattr(importlib.import_module(module), function)(ref, options)


def _folder_with(*names: str) -> Callable[[str], bool]:
    def claims(ref: str) -> bool:
        path = Path(ref).expanduser()
        return all((path / name).is_file() for name in names)

    return claims


def _is_hub_id_or_folder(ref: str) -> bool:
    return Path(ref).expanduser().is_dir() or not looks_local(ref)


# The built-in engines, asked in this order (the transformers catch-all last, after entry points).
ENGINES: tuple[Engine, ...] = (
    Engine(
        "head",
        _folder_with("earmark.json"),
        "earmark.engines.head:load",
        "heads trained by earmark train",
        runtimes=("transformers", "onnx"),  # the encoder's runtime
    ),
    Engine(
        "wake-word",
        lambda ref: all(part.startswith("wake-word/") for part in ref.split(",")),
        "earmark.engines.wakeword:load",
        "openWakeWord / microWakeWord (wake-word/NAME[@micro], comma-joined)",
    ),
    Engine(
        "mlcommons-kws",
        lambda ref: ref.endswith(".tflite"),
        "earmark.engines.mlcommons_kws:load",
        "the MLCommons Tiny keyword-spotting TFLite model",
    ),
    Engine(
        "ct2",
        lambda ref: ref == "whisper-base" or _folder_with("model.bin", "vocabulary.txt")(ref),
        "earmark.engines.whisper:load_ct2",
        "Whisper language ID on CTranslate2 (whisper-base offline, or a faster-whisper folder)",
    ),
    Engine(
        "birdnet",
        lambda ref: ref == "birdnet",
        "earmark.engines.birdnet:load",
        "BirdNET V2.4: 6,522 birds and other sounds, offline (CC BY-NC-SA 4.0: non-commercial)",
        options=("sensitivity", "overlap", "lat", "lon", "week", "sf_thresh", "species_list"),
    ),
    Engine(
        "musicnn",
        lambda ref: ref in ("musicnn-mtt", "musicnn-msd", "musicnn-msd-genre"),
        "earmark.engines.musicnn:load",
        "musicnn music taggers, 50 tags each (musicnn-mtt: MagnaTagATune, musicnn-msd: Million Song Dataset)",
    ),
)
ONNX = Engine(
    "onnx",
    _is_hub_id_or_folder,
    "earmark.engines.onnx:load",
    "transformers audio classifiers, CLAP's audio tower and trained heads' transformers encoders on ONNX Runtime "
    "(compute_type float32 or int8)",
    auto=False,
    zero_shot=True,
)
FALLBACK = Engine(
    "transformers",
    lambda ref: ref == "whisper-base" or _is_hub_id_or_folder(ref),
    "earmark.engines.transformers:load",
    "any Hugging Face audio-classification model, CLAP zero-shot, Whisper language ID (Hub id or folder)",
    zero_shot=True,
)


def engines() -> tuple[Engine, ...]:
    """Every engine, in the order ``load`` asks them: built-in, entry points, transformers."""
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


def load(
    model: str | os.PathLike,
    *,
    labels: Sequence[str] | str | None = None,
    template: str | None = None,
    engine: str = AUTO,
    compute_type: str = "float32",
    device: str = "cpu",
    revision: str | None = None,
    trust_remote_code: bool = False,
    threads: int | None = None,
    **engine_options: Any,
) -> Classifier:
    """Load a classifier once, to be called on any number of inputs.

    ``model`` is a task name (``earmark models list``), a local directory, a Hugging Face Hub id,
    ``whisper-base`` (the offline Whisper base weights), ``wake-word/NAME`` or a ``.tflite`` file.
    ``labels`` (and ``template``, default ``"This is a sound of {}."``) bind free-text labels to a
    zero-shot CLAP model. ``engine`` picks an engine by name (``auto``: the first that claims the
    model; e.g. ``transformers`` runs Whisper base on torch instead of CTranslate2, ``onnx`` exports a
    transformers classifier to ONNX Runtime), ``compute_type`` its precision (``int8`` for ct2 and
    onnx), ``threads`` its CPU threads. Remote code runs only when ``trust_remote_code=True``.
    Other keywords are settings of one engine (``earmark.load("birdnet", lat=52.5, lon=13.4, week=20)``);
    an engine refuses those it does not have.
    """
    table = engines()
    names = [e.name for e in table]
    if engine != AUTO and engine not in names:
        raise OptionError(f"engine={engine!r} is not allowed; use one of {(AUTO, *names)}")
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(",")]
    options = LoadOptions(
        labels=tuple(labels) if labels is not None else None,
        template=template,
        engine=engine,
        compute_type=compute_type,
        device=device,
        revision=revision,
        trust_remote_code=trust_remote_code,
        threads=threads,
        engine_options=tuple(sorted((k, v) for k, v in engine_options.items() if v is not None)),
    )
    ref = os.fspath(model)
    if ref in TASKS:
        ref = TASKS[ref].default_model
    elif "/" not in ref and not Path(ref).expanduser().exists():
        close = difflib.get_close_matches(ref, list(TASKS), n=1, cutoff=0.8)
        if close:  # a misspelt task would otherwise go to the Hub as a model id
            raise ModelError(f"model {ref!r} is not a task; did you mean {close[0]!r}? tasks: {', '.join(TASKS)}")
    for candidate in table:
        chosen = engine in (candidate.name, *candidate.runtimes) or (engine == AUTO and candidate.auto)
        if chosen and candidate.claims(ref):
            logger.debug("loading %r with the %s engine", ref, candidate.name)
            return candidate.load(ref, options)
    if engine != AUTO:
        chosen = next(e for e in table if e.name == engine)
        raise ModelError(f"the {engine} engine ({chosen.description}) does not take {ref!r}")
    raise ModelError(
        f"model {ref!r}: no such directory or model file, and no engine takes it; pass a model directory, a Hub id "
        f"like 'org/name', or a task ({', '.join(TASKS)}); engines: {', '.join(names)}"
    )
