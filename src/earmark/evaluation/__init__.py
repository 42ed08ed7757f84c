"""Evaluation on labelled audio: metrics (scikit-learn), comparison of several models, plots."""

from .compare import compare
from .metrics import EvaluationReport, evaluate, match_labels, normalize_label
from .plots import plot_confusion

__all__ = ["EvaluationReport", "compare", "evaluate", "match_labels", "normalize_label", "plot_confusion"]
