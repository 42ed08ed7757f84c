"""Find models on the Hugging Face Hub by task and training dataset (``huggingface_hub.HfApi.list_models``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import ModelError

__all__ = ["HubModel", "search_models"]

SORTS = ("downloads", "likes", "trending_score", "created_at", "last_modified")


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

    from .errors import OptionError
    from .loading import _hub_reachable, hub_offline

    if sort not in SORTS:
        raise OptionError(f"sort={sort!r} is not allowed; use one of {', '.join(SORTS)}")
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    if hub_offline() or not _hub_reachable(endpoint):
        raise ModelError(f"the Hugging Face Hub ({endpoint}) cannot be reached (offline?); model search needs it")
    try:
        found = HfApi(endpoint=endpoint).list_models(
            pipeline_tag=task, trained_dataset=dataset, search=search, sort=sort, limit=limit
        )
        return [HubModel(m.id, m.downloads, m.likes, m.pipeline_tag) for m in found]
    except (OSError, ValueError) as e:  # requests/httpx errors are OSErrors; bad JSON is a ValueError
        raise ModelError(f"model search on {endpoint} failed: {' '.join(str(e).split())[:200]}") from e
