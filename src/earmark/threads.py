"""The one place torch's CPU threads are set (torch engines, batch workers, Ray actors).

torch's intra-op thread count is a process-wide setting, so it is set only when asked for: a
``threads`` option of a torch engine, or a batch job dividing the cores between its workers.
"""

from __future__ import annotations

import logging

__all__ = ["set_torch_threads"]

logger = logging.getLogger("earmark")


def set_torch_threads(threads: int | None) -> None:
    """``torch.set_num_threads(threads)`` (None: leave torch's own default). Without torch installed
    there is nothing to set."""
    if threads is None:
        return
    try:
        import torch
    except ImportError:
        return
    if torch.get_num_threads() != threads:
        logger.debug("torch: %d CPU threads", threads)
        torch.set_num_threads(threads)
