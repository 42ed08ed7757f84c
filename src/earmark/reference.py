"""The one parsed model reference: what a string naming a model means.

``parse(text, suffixes)`` turns a task name (its default model), a folder, a file, a Hub id, a built-in
name, or ``wake-word/NAME`` references joined by commas - each with an optional ``@ENGINE[-PRECISION]``
suffix - into a frozen :class:`ModelRef`. The suffix spellings come from the engine table
(:func:`earmark.registry.engine_suffixes`); :func:`earmark.registry.parse_ref` passes them in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError, OptionError
from .hub import looks_local
from .options import AUTO, LoadOptions
from .tasks import TASKS

__all__ = ["WAKE_WORD_PREFIX", "ModelRef", "is_wake_word_list", "parse"]

WAKE_WORD_PREFIX = "wake-word/"


def is_wake_word_list(ref: str) -> bool:
    """``wake-word/NAME[@micro]``, several joined by commas."""
    return all(part.strip().startswith(WAKE_WORD_PREFIX) for part in ref.split(","))


@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference. ``target`` is what the engines are asked about (a task's default model,
    the suffix removed); ``kind`` is one of ``task``, ``wake-word``, ``folder``, ``file``, ``hub``, ``name``."""

    text: str
    target: str
    kind: str
    engine: str | None = None
    """From an ``@ENGINE[-PRECISION]`` suffix."""
    compute_type: str | None = None
    task: str | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def wake_words(self) -> tuple[str, ...]:
        """The ``wake-word/NAME[@micro]`` models of a wake-word reference (empty for any other)."""
        return tuple(p.strip() for p in self.target.split(",")) if self.kind == "wake-word" else ()

    def options(self, options: LoadOptions) -> LoadOptions:
        """``options`` with the suffix's engine and precision; a suffix that disagrees with an
        explicit engine or compute type is an :class:`OptionError`."""
        changes: dict[str, str] = {}
        for name, mine, theirs, unset in (
            ("engine", self.engine, options.engine, AUTO),
            ("compute_type", self.compute_type, options.compute_type, None),
        ):
            if mine is None:
                continue
            if theirs not in (unset, mine):
                raise OptionError(f"{self.text!r} names {name} {mine!r} but {name}={theirs!r} was given; give one")
            changes[name] = mine
        return options.replace(**changes)

    @staticmethod
    def combine(refs: Sequence[ModelRef]) -> list[ModelRef]:
        """Wake-word references joined into one (their models share one front end), the others as they are."""
        wake = [r for r in refs if r.kind == "wake-word"]
        if len(wake) < 2:
            return list(refs)
        suffixes = {(r.engine, r.compute_type) for r in wake}
        if len(suffixes) > 1:
            raise OptionError(f"wake-word models {[r.text for r in wake]} name different engines; name one")
        words = ",".join(w for r in wake for w in r.wake_words)
        joined = ModelRef(words, words, "wake-word", wake[0].engine, wake[0].compute_type)
        return [joined] + [r for r in refs if r.kind != "wake-word"]


def parse(ref: str | os.PathLike | ModelRef, suffixes: Mapping[str, tuple[str, str | None]]) -> ModelRef:
    """``ref`` parsed, with ``suffixes`` the ``@SUFFIX`` spellings -> (engine, compute type or None)."""
    if isinstance(ref, ModelRef):
        return ref
    text = os.fspath(ref).strip() if isinstance(ref, (str, os.PathLike)) else ref
    if not isinstance(text, str) or not text:
        raise ModelError(f"model={ref!r} is not a model reference; pass a task, a folder, a file or a Hub id")
    base, at, suffix = text.rpartition("@")
    engine, compute_type = suffixes.get(suffix, (None, None)) if at else (None, None)
    target = base if engine else text
    task = target if target in TASKS else None
    if task:
        target = TASKS[task].default_model
    return ModelRef(text, target, "task" if task else _kind(target), engine, compute_type, task)


def _kind(target: str) -> str:
    path = Path(target).expanduser()
    if is_wake_word_list(target):
        return "wake-word"
    if path.is_dir():
        return "folder"
    if path.is_file():
        return "file"
    if looks_local(target):
        return "folder"  # a path that is not there (yet): the engines say it is missing
    return "hub" if "/" in target else "name"
