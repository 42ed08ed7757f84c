"""Spoken language identification with multilingual Whisper: one decoder step from
``<|startoftranscript|>``, the language tokens' logits, softmax (as openai/whisper's ``detect_language``).

Two engines behind one classifier: CTranslate2 (faster-whisper's format) and transformers
(``WhisperForConditionalGeneration``). Whisper pads every input to 30 s; with ``fast=True`` only the
frames that hold audio (at least 5 s) are encoded, with the positional embeddings sliced to match
(whisper.cpp's ``audio_ctx``), so a 3-5 s clip costs about a sixth of a 30 s one.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...audio import Audio
from ...classifier import Classifier
from ...errors import ModelError, OptionError, missing_extra
from ...options import ClassifyOptions
from ...windows import Grid
from ..extractors import torch_size_bytes
from ..vad import VadOptions, speech_spans
from .languages import language_name

__all__ = [
    "WhisperLanguageClassifier",
    "encoded_frames",
    "load_ct2_whisper",
    "load_transformers_whisper",
    "mel_features",
]

SAMPLE_RATE = 16000
HOP = 160  # samples per mel frame (10 ms)
FULL_FRAMES = 3000  # 30 s
MIN_SPEECH_S = 1.0  # windows with less speech than this are not classified
# The fast path encodes at least this many frames (5 s): on the shared 3 s windows, 3 s of context
# got 71/86 right, 5 s 76/86, 10 s 77/86, and the full 30 s 78/86.
MIN_FRAMES = 500
# Below this pooled confidence the answer is "unknown": Whisper answers confidently on silence,
# music or ringtones; measured on the shared clips (closing note of the language-ID issue).
ABSTAIN_BELOW = 0.5


class WhisperLanguageClassifier(Classifier):
    """Language ID over Whisper's language tokens; labels are English names, codes are ISO 639-1."""

    sample_rate = SAMPLE_RATE
    window_s = 30.0
    default_function = "softmax"
    default_options = ClassifyOptions(pooling="vote", abstain_below=ABSTAIN_BELOW)

    def __init__(
        self, backend: Any, codes: Sequence[str], *, name: str, fast: bool = True, vad: bool = True, n_mels: int = 80
    ) -> None:
        from ..frontends import whisper_frontend

        self.backend = backend
        self.engine = backend.engine
        self.compute_type = backend.compute_type
        self.name = name
        self.fast = fast
        self.vad = vad
        self.min_frames = MIN_FRAMES
        self.label_codes = tuple(codes)
        self._labels = tuple(language_name(c) for c in codes)
        self.feature_extractor = whisper_frontend(n_mels)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return self.backend.size_bytes

    @property
    def identity(self) -> dict[str, Any]:
        return super().identity | {"compute_type": self.compute_type, "fast": self.fast, "vad": self.vad}

    def grid(self, opts: ClassifyOptions) -> Grid | None:
        """With VAD on, a long file's speech is found over the whole recording, so it is decoded whole."""
        return None if self.vad else super().grid(opts)

    def clips(self, audio: Audio, opts: ClassifyOptions) -> list[tuple[tuple[int, int], np.ndarray]]:
        """Windows as usual; with VAD on, windows with under 1 s of speech are skipped (no speech at
        all -> ``unknown``), and the windows of a long recording keep only their speech."""
        windows = super().clips(audio, opts)
        if not self.vad:
            return windows
        speech = speech_spans(audio, VadOptions())
        kept = []
        for (start, end), samples in windows:
            parts = [audio.samples[max(a, start) : min(b, end)] for a, b in speech if a < end and b > start]
            if sum(len(p) for p in parts) < MIN_SPEECH_S * SAMPLE_RATE:
                continue
            # A single window is kept whole (as other tools see it); windows of a long recording
            # keep only their speech, so pauses do not dilute the evidence.
            kept.append(((start, end), samples if len(windows) == 1 else np.concatenate(parts)))
        return kept

    def frames(self, num_samples: int) -> int:
        """Mel frames to encode for a clip: all 3000, or (fast) just those holding audio, kept even
        because the encoder's second convolution has stride 2."""
        return encoded_frames(num_samples, self.min_frames) if self.fast else FULL_FRAMES

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        # Clips encoded at different lengths would change each other's scores if padded together.
        groups: dict[int, list[int]] = defaultdict(list)
        for i, clip in enumerate(clips):
            groups[self.frames(len(clip))].append(i)
        out = np.empty((len(clips), len(self._labels)), dtype=np.float32)
        for frames, indices in groups.items():
            features = mel_features(self.feature_extractor, [clips[i] for i in indices], frames)
            out[indices] = self.backend(features)
        return out


def encoded_frames(num_samples: int, min_frames: int) -> int:
    """Mel frames holding a clip's audio (at least ``min_frames``, at most 30 s), kept even because
    the encoder's second convolution has stride 2."""
    return min(FULL_FRAMES, max(min_frames, 2 * math.ceil(num_samples / (2 * HOP))))


def mel_features(frontend: Any, clips: Sequence[np.ndarray], frames: int) -> np.ndarray:
    """Whisper log-mel features ``(len(clips), n_mels, frames)`` of just the frames encoded
    (zero-padded as Whisper pads, so they equal the first frames of the 30 s features), from a
    :func:`~earmark.engines.frontends.whisper_frontend`."""
    import dataclasses

    size = frames * HOP
    sized = dataclasses.replace(frontend, settings=frontend.settings | {"n_samples": size})
    return np.ascontiguousarray(sized(list(clips))["input_features"], dtype=np.float32)


class CT2Backend:
    """CTranslate2's ``Whisper.detect_language``; returns log-probabilities in ``codes`` order."""

    engine = "ct2"

    def __init__(self, path: Path, *, compute_type: str = "float32", threads: int = 0) -> None:
        try:
            import ctranslate2
        except ImportError as e:
            raise missing_extra("ctranslate2", "whisper", "the CTranslate2 Whisper engine") from e
        self.path = path
        self.compute_type = compute_type
        self._storage = ctranslate2.StorageView
        allowed = sorted(ctranslate2.get_supported_compute_types("cpu"))
        if compute_type not in allowed:
            raise OptionError(f"compute_type={compute_type!r} is not supported on this CPU; allowed: {allowed}")
        self.model = ctranslate2.models.Whisper(
            str(path), device="cpu", compute_type=compute_type, intra_threads=threads
        )
        self.codes = _ct2_codes(path)
        self._tokens = [f"<|{c}|>" for c in self.codes]

    @property
    def size_bytes(self) -> int:
        return (self.path / "model.bin").stat().st_size

    def __call__(self, features: np.ndarray) -> np.ndarray:
        results = self.model.detect_language(self._storage.from_array(features))
        probs = np.array([[dict(r)[t] for t in self._tokens] for r in results], dtype=np.float64)
        return np.log(np.maximum(probs, 1e-30)).astype(np.float32)


class TorchBackend:
    """transformers ``WhisperForConditionalGeneration``: encoder (positions sliced to the input), one decoder step."""

    engine = "transformers"
    compute_type = "float32"

    def __init__(self, model: Any, lang_token_ids: Sequence[int], start_token_id: int) -> None:
        import torch

        self.model = model.eval()
        self.lang_ids = torch.tensor(list(lang_token_ids))
        self.start = start_token_id

    @property
    def size_bytes(self) -> int:
        return torch_size_bytes(self.model)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        import torch
        from torch.nn.functional import gelu

        encoder = self.model.model.encoder
        with torch.inference_mode():
            x = torch.from_numpy(features).to(encoder.conv1.weight.dtype)
            h = gelu(encoder.conv2(gelu(encoder.conv1(x)))).permute(0, 2, 1)
            h = h + encoder.embed_positions.weight[: h.shape[1]]
            for layer in encoder.layers:
                h = layer(h, None)
            h = encoder.layer_norm(h)
            start = torch.full((len(features), 1), self.start, dtype=torch.long)
            out = self.model.model.decoder(input_ids=start, encoder_hidden_states=h).last_hidden_state
            logits = self.model.proj_out(out[:, -1])[:, self.lang_ids]
        return logits.float().numpy()


def _ct2_codes(path: Path) -> list[str]:
    config = json.loads((path / "config.json").read_text())
    vocab = (path / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    if "lang_ids" not in config:
        raise ModelError(f"{path}: not a multilingual Whisper (its config.json has no lang_ids)")
    return [vocab[i][2:-2] for i in config["lang_ids"]]


def load_ct2_whisper(
    path: str | Path,
    *,
    compute_type: str = "float32",
    threads: int = 0,
    fast: bool = True,
    vad: bool = True,
    name: str | None = None,
):
    """CTranslate2 Whisper; float32 on CPU by default (its float16 weights are widened anyway, and int8
    drifts a little from the transformers engine); ``threads`` 0: CTranslate2's default."""
    path = Path(path)
    backend = CT2Backend(path, compute_type=compute_type, threads=threads)
    return WhisperLanguageClassifier(backend, backend.codes, name=name or str(path), fast=fast, vad=vad)


def load_transformers_whisper(model: Any, generation_config: Any, *, name: str, fast: bool = True, vad: bool = True):
    lang_to_id = getattr(generation_config, "lang_to_id", None)
    if not lang_to_id:
        raise ModelError(f"{name}: not a multilingual Whisper (its generation config has no lang_to_id)")
    tokens = sorted(lang_to_id.items(), key=lambda item: item[1])  # Whisper's order: en, zh, de, ...
    codes = [token[2:-2] for token, _ in tokens]
    backend = TorchBackend(model, [i for _, i in tokens], generation_config.decoder_start_token_id)
    return WhisperLanguageClassifier(backend, codes, name=name, fast=fast, vad=vad, n_mels=model.config.num_mel_bins)
