"""The same job on a Ray cluster: the chunks become a Ray Dataset, ``map_batches`` runs them on an
actor pool (one classifier per actor, loaded once), and the driver writes each finished chunk as a
shard - so a Ray run resumes exactly like a local one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import missing_extra
from .inputs import Item

__all__ = ["ray_chunks"]

SLICE_CHUNKS = 8  # chunks per Ray pass: a killed driver loses at most this much work per pass


class _Classifier:
    """A Ray actor: the model loaded once, classifying one chunk of paths per batch."""

    def __init__(self, options: Any, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.options = options
        self.classifier = options.load(threads=threads)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import json

        from .table import classify_chunk

        out = []
        for index, keys in zip(batch["index"], batch["keys"]):
            rows = classify_chunk(
                self.classifier, [Item(k) for k in json.loads(keys)], self.options.options_for(self.classifier)
            )
            out.append(json.dumps(rows))
        return {"index": list(batch["index"]), "rows": out}


def ray_chunks(chunks: list[list[Item]], options: Any) -> Iterator[tuple[list[Item], list[dict[str, Any]]]]:
    try:
        import ray
    except ImportError as e:
        raise missing_extra("ray", "ray", "earmark batch --ray") from e
    import json

    if not chunks:
        return
    if not ray.is_initialized():
        ray.init(address=options.address, log_to_driver=False, include_dashboard=False, configure_logging=False)
    threads = max(1, int(options.cpus_per_worker))
    for start in range(0, len(chunks), SLICE_CHUNKS):
        part = chunks[start : start + SLICE_CHUNKS]
        records = [{"index": start + i, "keys": json.dumps([item.key for item in c])} for i, c in enumerate(part)]
        dataset = ray.data.from_items(records).map_batches(
            _Classifier,
            fn_constructor_args=(options, threads),
            batch_size=1,
            concurrency=options.workers,
            num_cpus=options.cpus_per_worker,
        )
        finished = {row["index"]: json.loads(row["rows"]) for row in dataset.take_all()}
        for i, chunk in enumerate(part):
            yield chunk, finished[start + i]
