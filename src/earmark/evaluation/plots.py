"""Pictures of an evaluation: the confusion matrix (matplotlib, through scikit-learn); a calibration's
PR curves per class, reliability diagram and DET curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import missing_extra
from .metrics import EvaluationReport

__all__ = ["plot_calibration", "plot_confusion", "plot_det", "plot_pr", "plot_reliability"]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as e:
        raise missing_extra("matplotlib", "eval", "plots") from e
    return pyplot


def plot_calibration(calibration: Any, folder: str | Path) -> list[Path]:
    """The calibration's pictures in ``folder``: ``pr.png`` (one PR curve per class, each chosen
    threshold marked), ``reliability.png`` and, for detectors, ``det.png``. Returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    details, written = calibration.extra, []
    chosen = calibration.thresholds
    if details.get("pr_curves"):
        written.append(plot_pr(details["pr_curves"], chosen, folder / "pr.png", str(calibration.target)))
    if details.get("reliability"):
        written.append(plot_reliability(details["reliability"], folder / "reliability.png", calibration.method))
    if details.get("det"):
        written.append(plot_det(details["det"], chosen, folder / "det.png", str(calibration.target)))
    return written


def plot_pr(curves: dict[str, Any], chosen: dict[str, float], path: Path, title: str = "") -> Path:
    """Precision against recall per class; a dot where each chosen threshold lies."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 6))
    for label, curve in curves.items():
        (line,) = axes.plot(curve["recall"], curve["precision"], label=label, linewidth=1.2)
        if label in chosen:
            k = min(range(len(curve["threshold"])), key=lambda i: abs(curve["threshold"][i] - chosen[label]))
            axes.plot(curve["recall"][k], curve["precision"][k], "o", color=line.get_color())
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02), title=f"PR per class ({title})")
    axes.legend(fontsize=7, loc="lower left", ncol=2)
    return _save(pyplot, figure, path)


def plot_reliability(bins: dict[str, Any], path: Path, method: str = "none") -> Path:
    """Observed frequency against mean score, per bin, before and after the score maps."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(6, 6))
    axes.plot([0, 1], [0, 1], "k:", linewidth=1, label="perfect")
    for name, row in bins.items():
        kept = [i for i, n in enumerate(row["count"]) if n]
        axes.plot(
            [row["score"][i] for i in kept],
            [row["frequency"][i] for i in kept],
            "o-",
            label=name if name == "before" else f"after ({method}, cross-fitted)",
        )
    axes.set(
        xlabel="mean score in bin",
        ylabel="fraction that is the class",
        xlim=(0, 1),
        ylim=(0, 1),
        title="reliability (all classes, one against the rest)",
    )
    axes.legend()
    return _save(pyplot, figure, path)


def plot_det(curves: dict[str, Any], chosen: dict[str, float], path: Path, title: str = "") -> Path:
    """Miss rate against false accepts per hour over thresholds; the chosen operating point marked."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 5))
    for label, curve in curves.items():
        fa = [max(x, 1e-3) for x in curve["fa_per_hour"]]
        (line,) = axes.plot(fa, curve["miss_rate"], label=label)
        if label in chosen:
            k = curve["threshold"].index(min(curve["threshold"], key=lambda t: abs(t - chosen[label])))
            axes.plot(fa[k], curve["miss_rate"][k], "o", color=line.get_color(), markersize=8)
            axes.annotate(
                f"{chosen[label]:.3g}",
                (fa[k], curve["miss_rate"][k]),
                textcoords="offset points",
                xytext=(6, 6),
                fontsize=8,
            )
    axes.set_xscale("log")
    axes.set(xlabel="false accepts per hour (log)", ylabel="miss rate", ylim=(0, 1.02), title=f"DET ({title})")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return _save(pyplot, figure, path)


def _save(pyplot: Any, figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return Path(path)


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
