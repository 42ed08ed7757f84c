"""Hugging Face Hub access, in one place: cache-first ``from_pretrained``, a quick offline probe, one
mapping of the Hub's and transformers' errors to :class:`ModelError`, model search, and earmark's own
cache folder.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError, OptionError
from .tasks import TASKS

__all__ = [
    "HubModel",
    "cache_dir",
    "check_local",
    "hub_offline",
    "hub_reachable",
    "local_ref",
    "pretrained",
    "search_models",
]

logger = logging.getLogger("earmark")

SORTS = ("downloads", "likes", "trending_score", "created_at", "last_modified")
# What a damaged or hostile model folder makes from_pretrained raise: missing files (OSError), bad
# configs (ValueError, KeyError), weights of the wrong shape (RuntimeError), a pickle that torch's
# weights_only loader refuses (UnpicklingError).
LOAD_ERRORS = (OSError, ValueError, KeyError, RuntimeError, pickle.UnpicklingError)


def cache_dir() -> Path:
    """earmark's cache: ``$EARMARK_CACHE``, else ``$XDG_CACHE_HOME/earmark``, else ``~/.cache/earmark``."""
    if os.environ.get("EARMARK_CACHE"):
        return Path(os.environ["EARMARK_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "earmark"


def hub_offline() -> bool:
    """Whether the user asked for offline mode (``HF_HUB_OFFLINE``), read at call time."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def hub_reachable(endpoint: str | None = None, timeout_s: float = 3.0) -> bool:
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


def looks_local(name: str) -> bool:
    """A path rather than a Hub id: ``./x``, ``/x``, ``~/x``, or more than one ``/``."""
    return name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1


def check_local(name: str) -> None:
    """A reference that looks like a path must be an existing directory."""
    if looks_local(name) and not Path(name).expanduser().is_dir():
        raise ModelError(
            f"model {name!r}: no such directory; pass a model directory, a Hub id like 'org/name', "
            f"or a task ({', '.join(TASKS)})"
        )


def local_ref(name: str) -> str:
    """Local folders as absolute paths (so a saved reference loads from anywhere); Hub ids as they are."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


def pretrained(cls: Any, name: str, what: str, **kwargs: Any) -> Any:
    """``cls.from_pretrained(name, **kwargs)``, the local cache first (no network round trip for a
    cached model), the Hub only when it answers; every failure becomes one :class:`ModelError`."""
    offline = hub_offline()
    try:
        return cls.from_pretrained(name, **kwargs, local_files_only=True)
    except LOAD_ERRORS as first:
        if offline or Path(name).expanduser().is_dir() or not hub_reachable():
            raise _model_error(name, what, first) from first
    try:
        return cls.from_pretrained(name, **kwargs)
    except LOAD_ERRORS as e:
        raise _model_error(name, what, e) from e


def _model_error(name: str, what: str, error: Exception) -> ModelError:
    text = " ".join(str(error).split())
    if isinstance(error, pickle.UnpicklingError) or "weights_only" in text:
        return ModelError(
            f"model {name!r}: its {what} are a pickle that could run code, and loading it was refused; "
            "use safetensors weights from a source you trust"
        )
    if "trust_remote_code" in text:
        return ModelError(f"model {name!r} runs its own code; pass trust_remote_code=True only if you trust it")
    if Path(name).expanduser().is_dir():
        return ModelError(f"model directory {name!r}: could not load its {what} ({text[:300]})")
    return ModelError(
        f"model {name!r} is not a local directory and could not be loaded from the Hugging Face Hub "
        f"(offline, or no such model?); with internet run `hf download {name}` once, or pass a local directory; "
        f"tasks: {', '.join(TASKS)}"
    )


@dataclass(frozen=True)
class HubModel:
    id: str
    downloads: int | None
    likes: int | None
    pipeline_tag: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "downloads": self.downloads, "likes": self.likes, "pipeline_tag": self.pipeline_tag}


def search_models(
    *,
    task: str | None = "audio-classification",
    dataset: str | None = None,
    search: str | None = None,
    sort: str = "downloads",
    limit: int = 20,
) -> list[HubModel]:
    """Models for a task trained on a dataset, most downloaded first. Offline: one clear error, at once."""
    from huggingface_hub import HfApi, constants

    if sort not in SORTS:
        raise OptionError(f"sort={sort!r} is not allowed; use one of {', '.join(SORTS)}")
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    if hub_offline() or not hub_reachable(endpoint):
        raise ModelError(f"the Hugging Face Hub ({endpoint}) cannot be reached (offline?); model search needs it")
    try:
        found = HfApi(endpoint=endpoint).list_models(
            pipeline_tag=task, trained_dataset=dataset, search=search, sort=sort, limit=limit
        )
        return [HubModel(m.id, m.downloads, m.likes, m.pipeline_tag) for m in found]
    except (OSError, ValueError) as e:  # requests/httpx errors are OSErrors; bad JSON is a ValueError
        raise ModelError(f"model search on {endpoint} failed: {' '.join(str(e).split())[:200]}") from e
