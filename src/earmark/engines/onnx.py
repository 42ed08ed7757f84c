"""Engine: transformers audio models on ONNX Runtime, in float32 or dynamically quantised int8:

- any ``AutoModelForAudioClassification`` (AST, wav2vec2, HuBERT, WavLM, Whisper-for-classification...);
- CLAP: its audio tower runs on ONNX Runtime, the text tower (run once per label set) on torch;
- a head trained by ``earmark train`` on a transformers encoder: the encoder runs on ONNX Runtime.

Each network is exported once into earmark's cache with its parity checked against torch
(:mod:`earmark.engines.onnx_export`). Feature extraction is the transformers extractor's, as on the
torch engines, so scores differ only by the runtime.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import fixed_labels
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
from .transformers import TransformersClassifier

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


class OnnxClassifier(_Exported, TransformersClassifier):
    """A transformers audio classifier's network on ONNX Runtime; the rest as on the torch engine."""

    def __init__(
        self, runner: OnnxRunner | None, config: Any, feature_extractor: Any, *, name: str, compute_type: str
    ) -> None:
        self.model = None
        self._configure(config, feature_extractor, name)
        self.runner = runner
        self.compute_type = compute_type

    def _forward_padded(self, clips: list[np.ndarray]) -> np.ndarray:
        return self.runner.run(self.features(clips, tensors="np"))


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
    return classifier


class OnnxZeroShotClassifier(_Exported, ZeroShotClassifier):
    """CLAP with its audio tower on ONNX Runtime; text embeddings are computed once per label set on torch."""

    def audio_embeddings(self, clips: list[np.ndarray]) -> Any:
        import torch

        inputs = self.feature_extractor(list(clips), sampling_rate=self.sample_rate, return_tensors="np")
        return torch.from_numpy(self.runner.run(inputs))
