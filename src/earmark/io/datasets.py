"""Labelled clips from a Hugging Face dataset, downloaded or streamed (``hf:ID``, ``hf:audiofolder:DIR``)."""

from __future__ import annotations

from typing import Any

from ..errors import ModelError, OptionError, missing_extra
from ..hub import hub_offline, hub_reachable
from .clips import LabelledClip

__all__ = ["load_hf"]


def load_hf(
    name: str,
    *,
    config: str | None = None,
    split: str = "train",
    streaming: bool = False,
    label_column: str | None = "label",
    audio_column: str = "audio",
    limit: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
) -> list[LabelledClip]:
    """Rows of a Hugging Face dataset (also streamed) as clips; ``audiofolder:DIR`` for a local folder."""
    try:
        import datasets
    except ImportError as e:
        raise missing_extra("datasets", "datasets", "Hugging Face datasets") from e
    kwargs: dict[str, Any] = {"split": split, "streaming": streaming}
    if name.startswith("audiofolder:"):
        name, kwargs["data_dir"] = "audiofolder", name[len("audiofolder:") :]
    if name != "audiofolder" and not hub_offline():
        if not hub_reachable():  # else huggingface_hub retries for ~30 s before failing
            raise ModelError(
                f"dataset {name!r}: the Hugging Face Hub cannot be reached (offline?); "
                "if it is cached, set HF_HUB_OFFLINE=1"
            )
    try:
        rows = datasets.load_dataset(name, config, **kwargs)
    except (OSError, ValueError, datasets.exceptions.DatasetNotFoundError) as e:
        raise ModelError(f"dataset {name!r} could not be loaded (offline, or no such dataset/split?): {e}") from e
    features = rows.features or {}
    for column in [c for c in (label_column, audio_column) if c]:
        if features and column not in features:
            raise OptionError(f"dataset {name!r} has no column {column!r}; columns: {sorted(features)}")
    if shuffle:
        rows = rows.shuffle(seed=seed, **({"buffer_size": 1000} if streaming else {}))
    if limit:
        rows = rows.take(limit) if streaming else rows.select(range(min(limit, len(rows))))
    names = getattr(features.get(label_column), "int2str", None)
    return [
        LabelledClip(
            f"{name}#{split}#{i}",
            "" if not label_column else str(names(row[label_column]) if names else row[label_column]),
            audio=row[audio_column],
        )
        for i, row in enumerate(rows)
    ]
