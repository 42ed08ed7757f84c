"""The same job on a Ray cluster: the chunks become one Ray Dataset (a block per chunk),
``map_batches`` runs them on an actor pool (one classifier per actor, loaded once for the whole
run), and the driver streams the results back, writing each finished chunk as a shard as soon as it
arrives - so a Ray run resumes exactly like a local one, and a killed driver loses only the chunks in
flight."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import missing_extra
from .inputs import Item

__all__ = ["ray_chunks"]


class _Classifier:
    """A Ray actor: the model loaded once, classifying one chunk of paths per batch."""

    def __init__(self, options: Any, threads: int) -> None:
        from ..threads import set_torch_threads

        set_torch_threads(threads)
        self.options = options
        self.classifier = options.load_model(threads=threads)
        self.recordings = options.recordings_info(quiet=True)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import json

        from .table import classify_chunk

        out = []
        for index, keys in zip(batch["index"], batch["keys"]):
            rows = classify_chunk(
                self.classifier,
                [Item.from_json(k) for k in json.loads(keys)],
                self.options.options_for(self.classifier),
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
    ray.data.DataContext.get_current().enable_progress_bars = False  # earmark's own progress reports
    threads = max(1, int(options.cpus_per_worker))
    records = [{"index": i, "keys": json.dumps([item.to_json() for item in c])} for i, c in enumerate(chunks)]
    dataset = ray.data.from_items(records, override_num_blocks=len(records)).map_batches(
        _Classifier,
        fn_constructor_args=(options, threads),
        batch_size=1,
        concurrency=options.workers,
        num_cpus=options.cpus_per_worker,
    )
    for row in dataset.iter_rows():  # streamed: each chunk as its actor finishes it
        yield chunks[row["index"]], json.loads(row["rows"])
