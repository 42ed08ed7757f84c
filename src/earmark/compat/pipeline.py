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
    device: Any = None,
    dtype: Any = None,
    torch_dtype: Any = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
) -> AudioClassificationPipeline | ZeroShotAudioClassificationPipeline:
    """Like ``transformers.pipeline`` for the two audio classification tasks: ``device`` as an int
    (-1: CPU, N: cuda:N), a string or a ``torch.device``; ``dtype`` (or the older ``torch_dtype``)."""
    if task is None and model is None:
        raise OptionError("pipeline() needs a task or a model")
    if task is not None and task not in PIPELINE_TASKS:
        raise OptionError(f"task {task!r} is not supported by earmark.pipeline; allowed: {PIPELINE_TASKS}")
    classifier = load(
        model or task,  # earmark.load resolves a task to its default model
        device=_device(device),
        trust_remote_code=trust_remote_code,
        revision=revision,
    )
    _cast(classifier, dtype if dtype is not None else torch_dtype)
    if classifier.zero_shot:
        return ZeroShotAudioClassificationPipeline(classifier, batch_size=batch_size)
    if task == "zero-shot-audio-classification":
        raise OptionError(f"model {model!r} is not a zero-shot (CLAP) model; use task='audio-classification'")
    options = ClassifyOptions(top_k=top_k, function_to_apply=function_to_apply, batch_size=batch_size)
    return AudioClassificationPipeline(classifier, options, task="audio-classification")


def _device(device: Any) -> str:
    """transformers' device forms -> earmark's: -1/None -> cpu, N -> cuda:N, torch.device -> its name."""
    if device is None or (isinstance(device, int) and not isinstance(device, bool) and device < 0):
        return "cpu"
    if isinstance(device, int) and not isinstance(device, bool):
        return f"cuda:{device}"
    return str(device)


def _cast(classifier: Classifier, dtype: Any) -> None:
    if dtype is None or dtype == "auto":
        return
    model = getattr(classifier, "model", None)
    if model is None or not hasattr(model, "to"):
        raise OptionError(f"dtype={dtype!r}: the {classifier.engine} engine runs in {classifier.compute_type} only")
    import torch

    wanted = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    if not isinstance(wanted, torch.dtype) or not wanted.is_floating_point:
        raise OptionError(f"dtype={dtype!r} is not allowed; use 'auto', torch.float32, torch.float16 or torch.bfloat16")
    classifier.model = model.to(wanted)


def _as_input(item: Any, classifier: Classifier) -> Any:
    """transformers takes a bare array to be at the model's rate; so does this compatibility layer."""
    if isinstance(item, np.ndarray) or type(item).__module__.startswith("torch"):
        return Audio(item, classifier.sample_rate)
    return item


def _is_one_input(inputs: Any) -> bool:
    """A single input (a path, bytes, an array or tensor, a dict, a decoder, a file, an Audio) rather
    than a collection of them."""
    if isinstance(inputs, (str, bytes, bytearray, np.ndarray, dict, Audio)):
        return True
    if hasattr(inputs, "__fspath__") or hasattr(inputs, "get_all_samples") or hasattr(inputs, "read"):
        return True
    if type(inputs).__module__.startswith("torch") and hasattr(inputs, "ndim"):  # a tensor
        return True
    return not (hasattr(inputs, "__iter__") or hasattr(inputs, "__getitem__"))  # KeyDataset: __getitem__ only


def _run(classifier: Classifier, inputs: Any, options: ClassifyOptions) -> Any:
    """One input -> its list; a list or tuple -> a list of lists; any other iterable (a generator, a
    ``KeyDataset``, a ``datasets`` column) -> a generator, as transformers returns."""
    if _is_one_input(inputs):
        return classifier.classify(_as_input(inputs, classifier), options).to_list()
    if isinstance(inputs, (list, tuple)):
        return [p.to_list() for p in classifier.classify_many([_as_input(x, classifier) for x in inputs], options)]
    return (p.to_list() for p in classifier.iter_classify((_as_input(x, classifier) for x in inputs), options))


class AudioClassificationPipeline:
    """``pipeline("audio-classification", model=...)``: call it on one input, a list, or any iterable."""

    def __init__(self, classifier: Classifier, options: ClassifyOptions, *, task: str) -> None:
        self.classifier = classifier
        self.options = options
        self.task = task

    @property
    def model(self) -> Any:
        return getattr(self.classifier, "model", None)

    @property
    def feature_extractor(self) -> Any:
        return getattr(self.classifier, "feature_extractor", None)

    @property
    def device(self) -> Any:
        model = self.model
        return getattr(model, "device", "cpu")

    def __call__(
        self,
        inputs: Any,
        *,
        top_k: int | None = None,
        function_to_apply: str | None = None,
        batch_size: int | None = None,
    ) -> Any:
        given = {"top_k": top_k, "function_to_apply": function_to_apply, "batch_size": batch_size}
        return _run(self.classifier, inputs, self.options.replace(**{k: v for k, v in given.items() if v is not None}))


class ZeroShotAudioClassificationPipeline(AudioClassificationPipeline):
    """``pipeline("zero-shot-audio-classification", model=...)`` with ``candidate_labels`` per call."""

    def __init__(self, classifier: Classifier, *, batch_size: int = 8) -> None:
        super().__init__(
            classifier, ClassifyOptions(top_k=None, batch_size=batch_size), task="zero-shot-audio-classification"
        )

    def __call__(  # type: ignore[override]
        self,
        audios: Any,
        *,
        candidate_labels: list[str] | None = None,
        hypothesis_template: str = DEFAULT_TEMPLATE,
        batch_size: int | None = None,
    ) -> Any:
        if candidate_labels is None:
            raise OptionError("zero-shot classification needs candidate_labels=[...]")
        bound = self.classifier.with_labels(candidate_labels, hypothesis_template)
        options = self.options.replace(batch_size=batch_size) if batch_size else self.options
        return _run(bound, audios, options)
