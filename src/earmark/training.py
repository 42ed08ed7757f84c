"""Train your own classifier: a small head on a frozen pretrained encoder.

Embeddings are computed once per clip and cached in the output folder (a rerun resumes), the split
keeps groups (speakers, source recordings, folds) on one side only, and the head is a standardised
logistic regression with balanced class weights (scikit-learn). The folder it writes is a normal
earmark model: ``earmark classify --model DIR`` loads it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .classifier import Classifier
from .decode import load_audio
from .embeddings import load_encoder
from .errors import MissingExtraError, ModelError, OptionError
from .labelled import LabelledClip

__all__ = ["HeadClassifier", "TrainReport", "load_head", "train_head"]

CONFIG = "earmark.json"
HEAD = "head.json"


@dataclass(frozen=True)
class TrainReport:
    encoder: str
    train_clips: int
    test_clips: int
    test_groups: tuple[str, ...]
    accuracy: float
    macro_f1: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_of(clip: LabelledClip, split_by: str) -> str:
    """The group (speaker, recording, fold) of a clip: the first regex group matched on its file name."""
    match = re.search(split_by, Path(clip.source).name)
    if match is None or not match.groups():
        raise OptionError(f"{Path(clip.source).name}: --split-by {split_by!r} does not match (it needs a group)")
    return match.group(1)


def _embeddings(clips: Sequence[LabelledClip], encoder, cache: Path, progress) -> np.ndarray:
    stored = dict(np.load(cache)) if cache.exists() else {}
    fresh = 0
    for n, clip in enumerate(clips, start=1):
        if clip.key not in stored:
            audio = load_audio(clip.audio if clip.audio is not None else clip.source)
            if clip.start_s is not None:
                audio = audio.slice_s(clip.start_s, clip.end_s or audio.duration_s)
            stored[clip.key] = encoder.embed(audio)
            fresh += 1
            if fresh % 200 == 0:  # resumable: an interrupted run keeps what it computed
                np.savez(cache, **stored)
        if progress:
            progress(n, len(clips))
    np.savez(cache, **stored)
    return np.stack([stored[c.key] for c in clips])


def train_head(
    clips: Sequence[LabelledClip],
    out: str | Path,
    *,
    encoder: str = "openwakeword",
    split_by: str | None = None,
    test_groups: Sequence[str] | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cache: str | Path | None = None,
) -> TrainReport:
    """Train and save a head; the held-out groups (or a group-aware 20%) are the test set.
    Embeddings are cached in ``cache`` (default: the output folder) and reused by later runs."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, f1_score
        from sklearn.model_selection import GroupShuffleSplit
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError as e:
        raise MissingExtraError("training needs scikit-learn: pip install 'earmark[eval]'") from e
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labels = np.array([c.label for c in clips])
    if len(set(labels)) < 2:
        raise OptionError(f"training needs at least two labels; got {sorted(set(labels))}")
    groups = np.array([group_of(c, split_by) if split_by else c.key for c in clips])
    if test_groups:
        test = np.isin(groups, list(test_groups))
        if not test.any() or test.all():
            raise OptionError(
                f"test groups {list(test_groups)} leave no train or no test clips; groups: {sorted(set(groups))[:20]}"
            )
    else:
        _, test_index = next(
            GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed).split(labels, groups=groups)
        )
        test = np.zeros(len(clips), bool)
        test[test_index] = True
    Path(cache or out).mkdir(parents=True, exist_ok=True)
    cache_file = Path(cache or out) / f"embeddings-{encoder}.npz"
    x = _embeddings(clips, load_encoder(encoder), cache_file, progress)
    model = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed)
    )
    model.fit(x[~test], labels[~test])
    predicted = model.predict(x[test])
    report = TrainReport(
        encoder=encoder,
        train_clips=int((~test).sum()),
        test_clips=int(test.sum()),
        test_groups=tuple(sorted(str(g) for g in set(groups[test]))) if split_by else (),
        accuracy=float(accuracy_score(labels[test], predicted)),
        macro_f1=float(f1_score(labels[test], predicted, average="macro")),
        seconds=time.perf_counter() - started,
    )
    _save(model, out, encoder, report, split_by)
    return report


def _save(model, out: Path, encoder: str, report: TrainReport, split_by: str | None) -> None:
    scaler, head = model[0], model[-1]
    (out / HEAD).write_text(
        json.dumps(
            {
                "mean": scaler.mean_.tolist(),
                "scale": scaler.scale_.tolist(),
                "coef": head.coef_.tolist(),
                "intercept": head.intercept_.tolist(),
                "classes": [str(c) for c in head.classes_],
            }
        )
    )
    (out / CONFIG).write_text(
        json.dumps(
            {"type": "head", "encoder": encoder, "labels": [str(c) for c in head.classes_], "split_by": split_by},
            indent=2,
        )
    )
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
    (out / "README.md").write_text(
        f"# earmark head model\n\nEncoder: {encoder} (frozen). Head: standardised logistic regression, balanced "
        f"class weights.\nLabels: {', '.join(map(str, head.classes_))}.\nSplit: {split_by or 'random groups'}; "
        f"held out: {', '.join(report.test_groups) or f'{report.test_clips} clips'}.\n"
        f"Held-out accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f} "
        f"({report.train_clips} train / {report.test_clips} test clips).\n"
        "Check the licence of the training data before sharing this model.\n"
    )


class HeadClassifier(Classifier):
    """A trained head on a frozen encoder, loaded from its folder."""

    sample_rate = 16000
    window_s = None

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / CONFIG).read_text())
        head = json.loads((folder / HEAD).read_text())
        self.name = str(folder)
        self.encoder = load_encoder(config["encoder"])
        self.mean, self.scale = np.array(head["mean"]), np.array(head["scale"])
        self.coef, self.intercept = np.array(head["coef"]), np.array(head["intercept"])
        self._labels = tuple(head["classes"])

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        from .audio import Audio

        x = np.stack([self.encoder.embed(Audio(c, self.sample_rate)) for c in clips])
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        return np.concatenate([np.zeros_like(z), z], axis=1) if z.shape[1] == 1 else z  # binary: softmax = sigmoid


def load_head(folder: str | Path) -> HeadClassifier:
    folder = Path(folder)
    try:
        return HeadClassifier(folder)
    except (OSError, KeyError, ValueError) as e:
        raise ModelError(f"{folder}: not a readable earmark head model ({e})") from e
