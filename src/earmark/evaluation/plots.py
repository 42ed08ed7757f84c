"""Pictures of an evaluation: the confusion matrix (matplotlib, through scikit-learn)."""

from __future__ import annotations

from pathlib import Path

from ..errors import missing_extra
from .metrics import EvaluationReport

__all__ = ["plot_confusion"]


def plot_confusion(report: EvaluationReport, path: str | Path) -> None:
    """A confusion-matrix PNG (rows: true labels, columns: predictions)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
        from sklearn.metrics import ConfusionMatrixDisplay
    except ImportError as e:
        raise missing_extra("matplotlib", "eval", "plots") from e
    import numpy as np

    size = max(6.0, 0.5 * len(report.labels))
    display = ConfusionMatrixDisplay(np.array(report.confusion), display_labels=list(report.labels))
    figure, axes = pyplot.subplots(figsize=(size, size))
    display.plot(ax=axes, xticks_rotation="vertical", colorbar=False)
    axes.set_title(f"{Path(report.model).name} on {Path(report.data).name}: accuracy {report.accuracy:.1%}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
