"""Engine: zero-shot classification with CLAP and free-text labels.

Labels are bound to the classifier; their text embeddings are computed once per
(label set, template) and shared by every classifier made from the same model.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..classifier import Classifier
from ..errors import OptionError
from ..options import DEFAULT_TEMPLATE, split_labels
from .extractors import fixed_window_s, torch_size_bytes

__all__ = ["DEFAULT_TEMPLATE", "ZeroShotClassifier"]


logger = logging.getLogger("earmark")


class ZeroShotClassifier(Classifier):
    """A CLAP model whose labels are free text, bound with :meth:`with_labels`."""

    engine = "transformers"
    zero_shot = True

    def __init__(
        self,
        model: Any,
        feature_extractor: Any,
        tokenizer: Any,
        *,
        name: str,
        labels: Sequence[str] | None = None,
        template: str | None = None,
        _text_cache: dict | None = None,
    ) -> None:
        self.model = model.eval()
        self.feature_extractor = feature_extractor
        self.tokenizer = tokenizer
        self.name = name
        self.sample_rate = int(feature_extractor.sampling_rate)
        self.window_s = fixed_window_s(feature_extractor)
        self.template = template or DEFAULT_TEMPLATE
        self._labels = _check_labels(labels, self.template) if labels is not None else None
        self._text_cache = {} if _text_cache is None else _text_cache

    @property
    def labels(self) -> tuple[str, ...]:
        if self._labels is None:
            raise OptionError(
                f"zero-shot model {self.name!r} has no labels; pass labels=[...] to earmark.load() "
                "or use classifier.with_labels([...]) (CLI: --labels 'a,b')"
            )
        return self._labels

    @property
    def labels_bound(self) -> bool:
        return self._labels is not None

    @property
    def size_bytes(self) -> int:
        return torch_size_bytes(self.model)

    def with_labels(self, labels: Sequence[str], template: str | None = None) -> ZeroShotClassifier:
        """The same model with other labels (no reload; text embeddings are cached)."""
        clone = copy.copy(self)  # shares the model, the text cache and (ONNX) the audio tower's session
        clone.template = template or self.template
        clone._labels = _check_labels(labels, clone.template)
        return clone

    @property
    def max_text_tokens(self) -> int:
        """Tokens a prompt may have: the text encoder's position table (less RoBERTa's padding offset)."""
        text = self.model.config.text_config
        positions = text.max_position_embeddings - (text.pad_token_id or 0) - 1
        return max(8, min(positions, getattr(self.tokenizer, "model_max_length", positions) or positions))

    def text_embeddings(self) -> Any:
        """Normalised text embeddings of the bound labels, ``(labels, dim)``, computed once."""
        key = (self.template, self.labels)
        if key not in self._text_cache:
            import torch

            prompts = [self.template.format(label) for label in self.labels]
            longest = self.max_text_tokens
            lengths = [len(ids) for ids in self.tokenizer(prompts)["input_ids"]]
            if max(lengths) > longest:  # positions past the text encoder's table would crash it
                logger.warning(
                    "%d label prompt(s) are longer than the text encoder's %d tokens and were cut to fit",
                    sum(n > longest for n in lengths),
                    longest,
                )
            tokens = self.tokenizer(prompts, return_tensors="pt", padding=True, truncation=True, max_length=longest).to(
                self.model.device
            )
            with torch.inference_mode():
                self._text_cache[key] = self.model.get_text_features(**tokens).pooler_output
        return self._text_cache[key]

    def audio_embeddings(self, clips: Sequence[np.ndarray]) -> Any:
        """The audio tower's projected embeddings, ``(clips, dim)``."""
        import torch

        inputs = self.feature_extractor(list(clips), sampling_rate=self.sample_rate, return_tensors="pt").to(
            self.model.device
        )
        with torch.inference_mode():
            return self.model.get_audio_features(**inputs).pooler_output

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        import torch

        text = self.text_embeddings()
        audio = self.audio_embeddings(clips).to(text.device, text.dtype)
        with torch.inference_mode():
            logits = audio @ text.T * self.model.logit_scale_a.exp()
        return logits.float().cpu().numpy()


def _check_labels(labels: Sequence[str], template: str) -> tuple[str, ...]:
    labels = split_labels(labels)
    if not labels or any(not x.strip() for x in labels):
        raise OptionError(f"labels {list(labels)!r} are not allowed; give one or more non-empty labels")
    if len(set(labels)) != len(labels):
        raise OptionError(f"labels {list(labels)!r} repeat a label; each label must be unique")
    if "{}" not in template:
        raise OptionError(f"template {template!r} has no '{{}}' where the label goes, e.g. {DEFAULT_TEMPLATE!r}")
    return labels
