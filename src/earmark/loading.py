"""``earmark.load``: a task name, a local directory or a Hub id -> a :class:`Classifier`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .classifier import Classifier
from .errors import ModelError, OptionError
from .tasks import TASKS

__all__ = ["load"]

logger = logging.getLogger("earmark")
T = TypeVar("T")


ENGINES = ("auto", "ct2", "transformers")
BUILTIN_WHISPER = "whisper-base"


def load(
    model: str | os.PathLike,
    *,
    labels: Sequence[str] | str | None = None,
    template: str | None = None,
    engine: str = "auto",
    compute_type: str = "float32",
    device: str = "cpu",
    revision: str | None = None,
    trust_remote_code: bool = False,
) -> Classifier:
    """Load a classifier once, to be called on any number of inputs.

    ``model`` is a task name (``earmark models list``), a local directory, a
    Hugging Face Hub id, or ``whisper-base`` (the offline Whisper base weights).
    ``labels`` (and ``template``, default ``"This is a sound of {}."``) bind
    free-text labels to a zero-shot CLAP model. ``engine`` picks CTranslate2 or
    transformers for Whisper language ID, and ``compute_type`` CTranslate2's
    precision (``int8`` is ~1.7x faster on a CPU). Remote code runs only when
    ``trust_remote_code=True`` is passed.
    """
    if engine not in ENGINES:
        raise OptionError(f"engine={engine!r} is not allowed; use one of {ENGINES}")
    name = os.fspath(model)
    if name in TASKS:
        name = TASKS[name].default_model
    if (labels is not None or template is not None) and (name == BUILTIN_WHISPER or name.startswith("wake-word/")):
        raise OptionError(f"labels/template are only for zero-shot (CLAP) models; {name!r} has fixed labels")
    if name == BUILTIN_WHISPER:
        return _load_builtin_whisper(engine, compute_type)
    if name.startswith("wake-word/"):
        from .wake_words import load_wake_words

        return load_wake_words([name])
    if name.endswith(".tflite"):
        if not Path(name).expanduser().is_file():
            raise ModelError(f"model {name!r}: no such file")
        from .tflite_kws import load_tflite

        return load_tflite(Path(name).expanduser())
    _check_local(name)
    if (Path(name).expanduser() / "earmark.json").is_file():
        from .training import load_head

        return load_head(Path(name).expanduser())
    if _is_ct2_whisper(name):
        from .whisper_lid import load_ct2_whisper

        return load_ct2_whisper(name, compute_type=compute_type)
    kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    config = _fetch(name, "config", lambda **kw: AutoConfig.from_pretrained(name, **kw), kwargs)
    if config.model_type == "clap":
        return _load_clap(name, kwargs, device, labels, template)
    if labels is not None or template is not None:
        raise OptionError(f"labels/template are only for zero-shot (CLAP) models; {name!r} has fixed labels")
    if config.model_type == "whisper" and "WhisperForAudioClassification" not in (config.architectures or []):
        return _load_whisper_lid(name, kwargs, device)
    if config.model_type not in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES:
        allowed = ", ".join(sorted(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES)[:12])
        raise ModelError(
            f"{name!r} is a {config.model_type!r} model, not an audio classifier; "
            f"earmark loads audio-classification models ({allowed}, ...) and CLAP"
        )
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from .hf_classifier import TransformersClassifier

    extractor = _fetch(name, "feature extractor", lambda **kw: AutoFeatureExtractor.from_pretrained(name, **kw), kwargs)
    network = _fetch(name, "weights", lambda **kw: AutoModelForAudioClassification.from_pretrained(name, **kw), kwargs)
    return TransformersClassifier(network.to(device), extractor, name=name)


def _is_ct2_whisper(name: str) -> bool:
    path = Path(name).expanduser()
    return (path / "model.bin").is_file() and (path / "vocabulary.txt").is_file()


def _load_builtin_whisper(engine: str, compute_type: str) -> Classifier:
    """Whisper base from the offline weight packages: CTranslate2 as shipped, or converted once."""
    from .whisper_lid import load_ct2_whisper
    from .whisper_weights import whisper_base_ct2, whisper_base_transformers

    if engine == "transformers":
        return _load_whisper_lid(str(whisper_base_transformers()), {}, "cpu", display=BUILTIN_WHISPER)
    return load_ct2_whisper(whisper_base_ct2(), compute_type=compute_type, name=BUILTIN_WHISPER)


def _load_whisper_lid(name: str, kwargs: dict, device: str, *, display: str | None = None) -> Classifier:
    from transformers import GenerationConfig, WhisperForConditionalGeneration

    from .whisper_lid import load_transformers_whisper

    generation = _fetch(name, "generation config", lambda **kw: GenerationConfig.from_pretrained(name, **kw), kwargs)
    network = _fetch(name, "weights", lambda **kw: WhisperForConditionalGeneration.from_pretrained(name, **kw), kwargs)
    return load_transformers_whisper(network.to(device), generation, name=display or name)


def _load_clap(name: str, kwargs: dict, device: str, labels: Any, template: str | None) -> Classifier:
    from transformers import AutoFeatureExtractor, AutoTokenizer, ClapModel

    from .clap import ZeroShotClassifier

    extractor = _fetch(name, "feature extractor", lambda **kw: AutoFeatureExtractor.from_pretrained(name, **kw), kwargs)
    tokenizer = _fetch(name, "tokenizer", lambda **kw: AutoTokenizer.from_pretrained(name, **kw), kwargs)
    network = _fetch(name, "weights", lambda **kw: ClapModel.from_pretrained(name, **kw), kwargs)
    return ZeroShotClassifier(network.to(device), extractor, tokenizer, name=name, labels=labels, template=template)


def _check_local(name: str) -> None:
    path = Path(name).expanduser()
    looks_local = name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1
    if looks_local and not path.is_dir():
        raise ModelError(
            f"model {name!r}: no such directory; pass a model directory, a Hub id like 'org/name', "
            f"or a task ({', '.join(TASKS)})"
        )


def _fetch(name: str, what: str, call: Callable[..., T], kwargs: dict) -> T:
    """Run a ``from_pretrained`` call, turning the Hub's and transformers' errors into one ModelError.

    The local cache is tried first, so a cached model loads with no network round trip.
    """
    offline = hub_offline()
    try:
        return call(**kwargs, local_files_only=True)
    except (OSError, ValueError) as first:
        if offline or Path(name).expanduser().is_dir() or not _hub_reachable():
            raise _model_error(name, what, first) from first
    try:
        return call(**kwargs)
    except (OSError, ValueError) as e:
        raise _model_error(name, what, e) from e


def hub_offline() -> bool:
    """Whether the user asked for offline mode (``HF_HUB_OFFLINE``), read at call time."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _hub_reachable(endpoint: str | None = None, timeout_s: float = 3.0) -> bool:
    """One quick TCP connect to the Hub endpoint: offline, huggingface_hub would retry for ~30 s first."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    url = urlparse(endpoint or constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout_s).close()
    except OSError:
        logger.info("the Hugging Face Hub at %s is unreachable", endpoint or constants.ENDPOINT)
        return False
    return True


def _model_error(name: str, what: str, error: Exception) -> ModelError:
    text = " ".join(str(error).split())
    if "trust_remote_code" in text:
        return ModelError(f"model {name!r} runs its own code; pass trust_remote_code=True only if you trust it")
    if Path(name).expanduser().is_dir():
        return ModelError(f"model directory {name!r}: could not load its {what} ({text[:300]})")
    return ModelError(
        f"model {name!r} is not a local directory and could not be loaded from the Hugging Face Hub "
        f"(offline, or no such model?); with internet run `hf download {name}` once, or pass a local directory; "
        f"tasks: {', '.join(TASKS)}"
    )
