"""Queries of an index: by example (clips, parts of files, or windows already in it), by text (CLAP
encoders' text tower), with negative examples pushing away.

Each example clip is cut into the index's own windows and embedded with the index's encoder; the
query is the mean of the unit-length window vectors of all positive examples, minus half the mean
of the negatives' (Rocchio's rule), made unit length again. A text query is the text tower's
embedding of the template with the text in it; text and examples combine the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import OptionError
from .rows import Hit

__all__ = ["NEGATIVE_WEIGHT", "parse_example", "query_vector", "search"]

NEGATIVE_WEIGHT = 0.5
TEXT_TEMPLATE = "This is a sound of {}."
_PART = re.compile(r"^(?P<path>.+)@(?P<a>\d+(?:\.\d*)?)-(?P<b>\d+(?:\.\d*)?)$")


def parse_example(text: str) -> tuple[str, float | None, float | None]:
    """``FILE``, ``FILE@START-END`` (seconds) or ``id:WINDOW`` -> ``(path_or_id, start, end)``."""
    match = _PART.match(text)
    if not match:
        return text, None, None
    a, b = float(match["a"]), float(match["b"])
    if b <= a:
        raise OptionError(f"example {text!r}: END must be after START (FILE@START-END in seconds)")
    return match["path"], a, b


class _Embedder:
    """The index's encoder, loaded on first use."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def clip(self, example: str) -> np.ndarray:
        from ..io.decode import load_audio
        from .embedding import query_windows

        if example.startswith("id:"):
            found = self.index.by_ids([example[3:]], ("id", "vector"))
            if not found:
                raise OptionError(f"example {example!r}: no window with that id in {self.index.path}")
            v = np.asarray(found[example[3:]]["vector"], np.float32)[None]
            return v / max(float(np.linalg.norm(v)), 1e-12)
        path, a, b = parse_example(example)
        audio = load_audio(path)
        if a is not None:
            if a >= audio.duration_s:
                raise OptionError(f"example {example!r}: starts after the file's end ({audio.duration_s:.2f} s)")
            audio = audio.slice_s(a, min(b, audio.duration_s))
        return query_windows(self.index.encoder, audio, self.index.settings)


def text_vector(index: Any, text: str, template: str = TEXT_TEMPLATE) -> np.ndarray:
    """The CLAP text tower's unit-length embedding of ``template`` filled with ``text``; refused in
    one line for an index whose encoder has no text tower."""
    name = index.settings.encoder
    if not _is_clap(name):
        raise OptionError(
            f"--text needs an index made with a CLAP encoder (it has a text tower); {index.path} holds "
            f"{name!r}, which is audio only - search it by example instead"
        )
    from ..registry import load

    model = load(name, labels=[text], template=template)
    vector = np.asarray(model.text_embeddings()[0].float().numpy(), np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _is_clap(name: str) -> bool:
    from ..engines.encoders import ENCODERS

    if name in ENCODERS or "+" in name:
        return False
    from transformers import AutoConfig

    from ..hub import pretrained

    return pretrained(AutoConfig, name, "config").model_type == "clap"


def query_vector(
    index: Any,
    examples: Sequence[str] = (),
    *,
    negatives: Sequence[str] = (),
    text: str | None = None,
    template: str = TEXT_TEMPLATE,
) -> np.ndarray:
    """The unit-length query vector of examples, text and negatives (see the module's rule)."""
    if not examples and not text:
        raise OptionError("a search needs --example FILE[@START-END] (one or more) or --text")
    embedder = _Embedder(index)
    positives = [embedder.clip(e) for e in examples]
    if text:
        positives.append(text_vector(index, text, template)[None])
    query = np.concatenate(positives).mean(axis=0)
    if negatives:
        query = query - NEGATIVE_WEIGHT * np.concatenate([embedder.clip(n) for n in negatives]).mean(axis=0)
    norm = float(np.linalg.norm(query))
    if norm < 1e-9:
        raise OptionError("the negative examples cancel the positive ones; give fewer negatives or other examples")
    return (query / norm).astype(np.float32)


def search(
    index: Any,
    examples: Sequence[str] = (),
    *,
    negatives: Sequence[str] = (),
    text: str | None = None,
    top_k: int = 50,
    where: str | None = None,
    exact: bool | None = None,
    **kwargs: Any,
) -> list[Hit]:
    """The ``top_k`` windows nearest the query, best first."""
    query = query_vector(index, examples, negatives=negatives, text=text, **kwargs)
    return index.nearest(query, top_k=top_k, where=where, exact=exact)
