"""earmark's error tree.

Every error earmark raises on purpose is an :class:`EarmarkError`, and also the
builtin a caller would reach for first, so ``except ValueError`` keeps working::

    EarmarkError
    ├── AudioError(ValueError)          input that is not usable audio
    ├── OptionError(ValueError)         an option outside its allowed values
    ├── LabelError(KeyError)            a label the model does not have
    ├── ModelError(OSError)             a model that cannot be found or loaded
    └── MissingExtraError(ImportError)  an optional dependency is not installed

Messages are one line: what was received, and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "AudioError",
    "EarmarkError",
    "LabelError",
    "MissingExtraError",
    "ModelError",
    "OptionError",
    "extra_for",
    "fixed_labels",
    "missing_extra",
]

# The extra that brings each optional package (the top-level module name an ImportError names).
EXTRAS = {
    "torch": "transformers",
    "transformers": "transformers",
    "onnx": "transformers",
    "onnxscript": "transformers",
    "huggingface_hub": "transformers",
    "ctranslate2": "whisper",
    "ai_edge_litert": "wake",
    "fastapi": "serve",
    "uvicorn": "serve",
    "prometheus_client": "serve",
    "pyarrow": "batch",
    "guano": "batch",
    "ray": "ray",
    "lancedb": "index",
    "filelock": "index",
    "sklearn": "eval",
    "matplotlib": "eval",
    "scipy": "eval",
    "datasets": "datasets",
    "torchcodec": "datasets",
    "accelerate": "train",
    "safetensors": "train",
}


class EarmarkError(Exception):
    """Base class of every error earmark raises on purpose."""


class AudioError(EarmarkError, ValueError):
    """The input cannot be read as audio, or its samples or sample rate are unusable."""


class OptionError(EarmarkError, ValueError):
    """An option has a value outside the allowed ones."""


class LabelError(EarmarkError, KeyError):
    """A label was asked for that the model does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class ModelError(EarmarkError, OSError):
    """A model cannot be found, downloaded or loaded."""


class MissingExtraError(EarmarkError, ImportError):
    """An optional dependency is missing; the message names the install line."""


def fixed_labels(model: object) -> OptionError:
    """The one refusal of free-text labels by a model whose labels are fixed."""
    return OptionError(f"labels/template are only for zero-shot (CLAP) models; {str(model)!r} has fixed labels")


def missing_extra(module: str, extra: str, purpose: str, *, install: str | None = None) -> MissingExtraError:
    """The one error for an optional package that failed to import: what needs it and the install
    line (``pip install 'earmark[EXTRA]'`` unless the package needs another, given as ``install``)."""
    return MissingExtraError(
        f"{purpose} needs the '{module}' package, which is not installed; "
        f"install it with: {install or f'pip install {chr(39)}earmark[{extra}]{chr(39)}'}"
    )


def extra_for(error: ImportError, purpose: str) -> MissingExtraError | None:
    """The :func:`missing_extra` error for an import of an optional package that failed (``purpose``: what
    needed it), or None when the missing module is not one an extra brings."""
    name = (getattr(error, "name", None) or "").split(".")[0]
    return missing_extra(name, EXTRAS[name], purpose) if name in EXTRAS else None
