"""Engine: transformers audio models on ONNX Runtime, in float32 or dynamically quantised int8:

- any ``AutoModelForAudioClassification`` (AST, wav2vec2, HuBERT, WavLM, Whisper-for-classification...);
- CLAP: its audio tower runs on ONNX Runtime, the text tower (run once per label set) on torch;
- a head trained by ``earmark train`` on a transformers encoder: the encoder runs on ONNX Runtime.

Each network is exported once into earmark's cache with its parity checked against torch
(:mod:`earmark.engines.onnx_export`). Features come from the NumPy front ends
(:mod:`earmark.engines.frontends`, equal to transformers' extractors to 1e-5), so scores differ only by
the runtime; ``earmark export`` copies the same graph and front end into a folder that needs no torch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import Classifier
from ..errors import ModelError, fixed_labels
from ..hub import check_local, pretrained
from ..options import LoadOptions
from .clap import ZeroShotClassifier
from .onnx_export import (
    COMPUTE_TYPES,
    Network,
    OnnxRunner,
    audio_tower,
    eager_or_default,
    export_cached,
)
from .transformers import configure, extractor_inputs, forward_in_groups

__all__ = ["COMPUTE_TYPES", "OnnxClassifier", "OnnxZeroShotClassifier", "load"]

logger = logging.getLogger("earmark")


class _Exported:
    """What an ONNX engine's classifier says about its exported network (``self.runner``)."""

    engine = "onnx"
    runner: OnnxRunner

    @property
    def parity(self) -> dict[str, Any]:
        return self.runner.parity

    @property
    def folder(self) -> Path:
        return self.runner.folder

    @property
    def size_bytes(self) -> int:
        return self.runner.size_bytes

    @property
    def identity(self) -> dict[str, Any]:
        return super().identity | {"export": self.runner.folder.name}


class OnnxClassifier(_Exported, Classifier):
    """A transformers audio classifier's network on ONNX Runtime, its features from the NumPy front end
    (:mod:`~earmark.engines.frontends`, equal to the extractor's; the extractor itself for the few
    extractors without one). ``features`` (the extractor's, as torch tensors) feed the export."""

    def __init__(
        self, runner: OnnxRunner | None, config: Any, feature_extractor: Any, *, name: str, compute_type: str
    ) -> None:
        configure(self, config, feature_extractor, name)
        self.runner = runner
        self.compute_type = compute_type
        self.frontend = numpy_frontend(feature_extractor) or (lambda clips: self.features(clips, tensors="np"))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def features(self, clips: list[np.ndarray], tensors: str = "pt") -> Any:
        return extractor_inputs(self, clips, tensors)

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        return forward_in_groups(self, clips, lambda batch: self.runner.run(self.frontend(batch)))


def load(ref: str, options: LoadOptions) -> Any:
    """The onnx engine's loader (``earmark.load(ref, engine="onnx", compute_type="int8")``)."""
    from transformers import AutoConfig

    check_local(ref)
    kwargs: dict[str, Any] = {"revision": options.revision, "trust_remote_code": options.trust_remote_code}
    config = pretrained(AutoConfig, ref, "config", **kwargs)
    if config.model_type == "clap":
        return _load_clap(ref, config, kwargs, options)
    if options.zero_shot:
        raise fixed_labels(ref)
    return _load_classifier(ref, config, kwargs, options)


def _load_classifier(ref: str, config: Any, kwargs: dict, options: LoadOptions) -> OnnxClassifier:
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    extractor = pretrained(AutoFeatureExtractor, ref, "feature extractor", **kwargs)
    classifier = OnnxClassifier(None, config, extractor, name=ref, compute_type=options.compute_type)

    def network() -> Network:
        return Network(
            build=eager_or_default(AutoModelForAudioClassification, ref, kwargs),
            call=lambda module, inputs: module(**inputs).logits,
            features=lambda clips, tensors: classifier.features(clips, tensors=tensors),
            sample_rate=classifier.sample_rate,
            window_s=classifier.window_s,
        )

    folder = export_cached(ref, config, options.compute_type, network, part="classifier")
    classifier.runner = OnnxRunner(folder, threads=options.threads)
    return classifier


def _load_clap(ref: str, config: Any, kwargs: dict, options: LoadOptions) -> Any:
    from transformers import AutoFeatureExtractor, AutoTokenizer, ClapModel

    extractor = pretrained(AutoFeatureExtractor, ref, "feature extractor", **kwargs)
    tokenizer = pretrained(AutoTokenizer, ref, "tokenizer", **kwargs)
    runner = audio_tower(ref, config, extractor, kwargs, options.compute_type, options.threads)
    model = pretrained(ClapModel, ref, "weights", **kwargs)  # the text tower and the logit scale
    classifier = OnnxZeroShotClassifier(
        model, extractor, tokenizer, name=ref, labels=options.labels, template=options.template
    )
    classifier.runner, classifier.compute_type = runner, options.compute_type
    classifier.frontend = numpy_frontend(extractor)
    return classifier


class OnnxZeroShotClassifier(_Exported, ZeroShotClassifier):
    """CLAP with its audio tower on ONNX Runtime (features from the NumPy front end); text embeddings
    are computed once per label set on torch (an export stores them: no torch at all)."""

    frontend: Any = None

    def audio_embeddings(self, clips: list[np.ndarray]) -> Any:
        import torch

        if self.frontend is not None:
            return torch.from_numpy(self.runner.run(self.frontend(list(clips))))
        inputs = self.feature_extractor(list(clips), sampling_rate=self.sample_rate, return_tensors="np")
        return torch.from_numpy(self.runner.run(inputs))


def numpy_frontend(extractor: Any) -> Any:
    """The NumPy front end equal to a transformers extractor, or None where earmark has none."""
    from .frontends import describe

    try:
        return describe(extractor)
    except ModelError:
        return None
