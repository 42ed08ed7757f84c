"""``earmark batch``: classify a whole corpus into one long table - resumable, kill-safe, parallel on
local processes, or on a Ray cluster."""

from .run import BatchOptions, BatchSummary, run_batch
from .table import COLUMNS

__all__ = ["COLUMNS", "BatchOptions", "BatchSummary", "run_batch"]
