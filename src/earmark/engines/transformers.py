"""Engine: any transformers ``AutoModelForAudioClassification`` checkpoint (AST, wav2vec2, HuBERT,
XLS-R, WavLM, Whisper-for-classification, ...), and the loader for every transformers model: the
config's ``model_type`` picks CLAP (zero-shot), Whisper language ID, or audio classification.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..classifier import Classifier
from ..errors import ModelError, fixed_labels
from ..hub import check_local, pretrained
from ..options import LoadOptions
from ..threads import set_torch_threads
from .extractors import fast_extractor, fixed_window_s, torch_size_bytes

__all__ = [
    "LOADERS",
    "TransformersClassifier",
    "checkpoint_kind",
    "configure",
    "extractor_inputs",
    "forward_in_groups",
    "load",
]


def configure(classifier: Classifier, config: Any, feature_extractor: Any, name: str) -> None:
    """What a transformers config and feature extractor say, set on a classifier (torch or ONNX):
    rate, window, labels, activation, batching."""
    classifier.feature_extractor = fast_extractor(feature_extractor)
    classifier.name = name
    classifier.sample_rate = int(feature_extractor.sampling_rate)
    classifier.window_s = fixed_window_s(feature_extractor)
    classifier.multi_label = config.problem_type == "multi_label_classification"
    classifier.default_function = "none" if config.problem_type == "regression" else None
    classifier._labels = tuple(str(config.id2label[i]) for i in range(config.num_labels))
    # Padding a batch changes the outputs of models without an attention mask
    # (wav2vec2-base normalises over the padding): batch those by equal length only.
    classifier._pads_with_mask = bool(getattr(feature_extractor, "return_attention_mask", False))
    classifier.equal_length_batches = classifier.window_s is None and not classifier._pads_with_mask


def extractor_inputs(classifier: Any, clips: list[np.ndarray], tensors: str = "pt") -> Any:
    """The transformers feature extractor's inputs for a batch of clips."""
    # Fixed-window extractors pad to their own length; passing padding=True would
    # make Whisper's pad to the longest clip instead of 30 s.
    padding = {} if classifier.window_s is not None else {"padding": True}
    return classifier.feature_extractor(clips, sampling_rate=classifier.sample_rate, return_tensors=tensors, **padding)


def forward_in_groups(classifier: Any, clips: Sequence[np.ndarray], run: Callable[[list], np.ndarray]) -> np.ndarray:
    """``run`` on the whole batch where padding is harmless, else on each group of clips of one length."""
    if classifier.window_s is not None or classifier._pads_with_mask:
        return run(list(clips))
    groups: dict[int, list[int]] = defaultdict(list)
    for i, clip in enumerate(clips):
        groups[len(clip)].append(i)
    out = np.empty((len(clips), len(classifier.labels)), dtype=np.float32)
    for indices in groups.values():
        out[indices] = run([clips[i] for i in indices])
    return out


class TransformersClassifier(Classifier):
    """A transformers audio-classification model and its feature extractor, loaded once."""

    engine = "transformers"

    def __init__(self, model: Any, feature_extractor: Any, *, name: str) -> None:
        self.model = model.eval()
        configure(self, model.config, feature_extractor, name)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return torch_size_bytes(self.model)

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        return forward_in_groups(self, clips, self._forward_padded)

    def features(self, clips: list[np.ndarray], tensors: str = "pt") -> Any:
        return extractor_inputs(self, clips, tensors)

    def _forward_padded(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch

        inputs = self.features(clips).to(self.model.device)
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        return logits.float().cpu().numpy()


def load(ref: str, options: LoadOptions) -> Classifier:
    """The transformers engine's loader: the config says which kind of model a checkpoint is."""
    from transformers import AutoConfig

    from .whisper import BUILTIN

    set_torch_threads(options.threads)
    if ref == BUILTIN:  # the offline Whisper base, converted once from CTranslate2
        from .whisper import whisper_base_transformers

        classifier = _load_whisper_lid(str(whisper_base_transformers()), {}, options)
        classifier.name = BUILTIN
    else:
        check_local(ref)
        kwargs: dict[str, Any] = {"revision": options.revision, "trust_remote_code": options.trust_remote_code}
        config = pretrained(AutoConfig, ref, "config", **kwargs)
        kind = checkpoint_kind(config)
        if kind != "clap" and options.zero_shot:
            raise fixed_labels(ref)
        classifier = LOADERS[kind](ref, kwargs, options, config.model_type)
    classifier.device = options.device
    return classifier


def checkpoint_kind(config: Any) -> str:
    """``clap`` (zero-shot), ``whisper-lid`` (a Whisper speech model: language ID from its decoder) or
    ``classifier`` (an audio-classification head, a Whisper encoder with one included)."""
    if config.model_type == "clap":
        return "clap"
    if config.model_type == "whisper" and "WhisperForAudioClassification" not in (config.architectures or []):
        return "whisper-lid"
    return "classifier"


def _load_classifier(ref: str, kwargs: dict, options: LoadOptions, model_type: str) -> Classifier:
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    if model_type not in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES:
        allowed = ", ".join(sorted(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES)[:12])
        raise ModelError(
            f"{ref!r} is a {model_type!r} model, not an audio classifier; "
            f"earmark loads audio-classification models ({allowed}, ...) and CLAP"
        )
    extractor = pretrained(AutoFeatureExtractor, ref, "feature extractor", **kwargs)
    network = pretrained(AutoModelForAudioClassification, ref, "weights", **kwargs)
    return TransformersClassifier(network.to(options.device), extractor, name=ref)


def _load_whisper_lid(ref: str, kwargs: dict, options: LoadOptions, model_type: str = "whisper") -> Classifier:
    from transformers import GenerationConfig, WhisperForConditionalGeneration

    from .whisper import load_transformers_whisper

    generation = pretrained(GenerationConfig, ref, "generation config", **kwargs)
    network = pretrained(WhisperForConditionalGeneration, ref, "weights", **kwargs)
    return load_transformers_whisper(network.to(options.device), generation, name=ref)


def _load_clap(ref: str, kwargs: dict, options: LoadOptions, model_type: str = "clap") -> Classifier:
    from transformers import AutoFeatureExtractor, AutoTokenizer, ClapModel

    from .clap import ZeroShotClassifier

    extractor = pretrained(AutoFeatureExtractor, ref, "feature extractor", **kwargs)
    tokenizer = pretrained(AutoTokenizer, ref, "tokenizer", **kwargs)
    network = pretrained(ClapModel, ref, "weights", **kwargs)
    return ZeroShotClassifier(
        network.to(options.device), extractor, tokenizer, name=ref, labels=options.labels, template=options.template
    )


LOADERS: dict[str, Callable[[str, dict, LoadOptions, str], Classifier]] = {
    "clap": _load_clap,
    "whisper-lid": _load_whisper_lid,
    "classifier": _load_classifier,
}
