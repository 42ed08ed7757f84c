"""Drop-in ``pipeline()`` for code moving over from ``transformers.pipeline``.

The seed's calls work unchanged and return the same list of
``{"score", "label"}`` dicts. One documented difference: inputs longer than the
model's window are classified in windows and pooled instead of being cut.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..audio import Audio
from ..classifier import Classifier
from ..engines.clap import DEFAULT_TEMPLATE
from ..errors import OptionError
from ..options import ClassifyOptions
from ..registry import load
from ..tasks import TASKS

__all__ = ["AudioClassificationPipeline", "ZeroShotAudioClassificationPipeline", "pipeline"]

logger = logging.getLogger("earmark")
PIPELINE_TASKS = ("audio-classification", "zero-shot-audio-classification")


def pipeline(
    task: str | None = None,
    model: str | None = None,
    *,
    top_k: int | None = 5,
    function_to_apply: str | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    trust_remote_code: bool = False,
) -> AudioClassificationPipeline | ZeroShotAudioClassificationPipeline:
    """Like ``transformers.pipeline`` for the two audio classification tasks."""
    if task is None and model is None:
        raise OptionError("pipeline() needs a task or a model")
    if task is not None and task not in PIPELINE_TASKS:
        raise OptionError(f"task {task!r} is not supported by earmark.pipeline; allowed: {PIPELINE_TASKS}")
    classifier = load(model or TASKS[task].default_model, device=device, trust_remote_code=trust_remote_code)
    if classifier.zero_shot:
        return ZeroShotAudioClassificationPipeline(classifier, batch_size=batch_size)
    if task == "zero-shot-audio-classification":
        raise OptionError(f"model {model!r} is not a zero-shot (CLAP) model; use task='audio-classification'")
    options = ClassifyOptions(top_k=top_k, function_to_apply=function_to_apply, batch_size=batch_size)
    return AudioClassificationPipeline(classifier, options)


def _as_input(item: Any, classifier: Classifier) -> Any:
    """transformers takes a bare array to be at the model's rate; so does this compatibility layer."""
    if isinstance(item, np.ndarray) or type(item).__module__.startswith("torch"):
        return Audio(item, classifier.sample_rate)
    return item


def _run(classifier: Classifier, inputs: Any, options: ClassifyOptions) -> Any:
    if isinstance(inputs, list):
        items = [_as_input(x, classifier) for x in inputs]
        return [p.to_list() for p in classifier.classify_many(items, options)]
    return classifier.classify(_as_input(inputs, classifier), options).to_list()


class AudioClassificationPipeline:
    """``pipeline("audio-classification", model=...)``: call it on one input or a list."""

    def __init__(self, classifier: Classifier, options: ClassifyOptions) -> None:
        self.classifier = classifier
        self.options = options

    def __call__(self, inputs: Any, *, top_k: int | None = None, function_to_apply: str | None = None) -> Any:
        changes: dict[str, Any] = {}
        if top_k is not None:
            changes["top_k"] = top_k
        if function_to_apply is not None:
            changes["function_to_apply"] = function_to_apply
        return _run(self.classifier, inputs, self.options.replace(**changes))


class ZeroShotAudioClassificationPipeline:
    """``pipeline("zero-shot-audio-classification", model=...)`` with ``candidate_labels`` per call."""

    def __init__(self, classifier: Classifier, *, batch_size: int = 8) -> None:
        self.classifier = classifier
        self.options = ClassifyOptions(top_k=None, batch_size=batch_size)

    def __call__(
        self, audios: Any, *, candidate_labels: list[str] | None = None, hypothesis_template: str = DEFAULT_TEMPLATE
    ) -> Any:
        if candidate_labels is None:
            raise OptionError("zero-shot classification needs candidate_labels=[...]")
        bound = self.classifier.with_labels(candidate_labels, hypothesis_template)
        return _run(bound, audios, self.options)
