"""Train your own classifier: a small head on a frozen pretrained encoder.

Encoder frames are computed once per clip and cached (a rerun or an interrupted run resumes), the
split keeps groups (speakers, source recordings, folds) on one side only, torch heads stop early on a
group-aware validation split carved from the training groups, and the held-out clips are scored by
loading the saved folder the way users will. The folder is a normal earmark model
(``earmark classify --model DIR``, ``earmark listen --model DIR``) with a model card and the
training config.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .classifier import Classifier
from .errors import MissingExtraError, ModelError, OptionError
from .labelled import LabelledClip

__all__ = ["HeadClassifier", "Split", "TrainReport", "load_head", "split_clips", "train_head", "train_keyword"]

CONFIG = "earmark.json"
TRAINING = "training.json"
OTHER = "_other"  # the negative class of a keyword detector


@dataclass(frozen=True)
class TrainReport:
    mode: str
    base: str  # the encoder (head mode) or the starting checkpoint (finetune mode)
    head: str | None
    labels: tuple[str, ...]
    train_clips: int
    validation_clips: int
    test_clips: int
    test_groups: tuple[str, ...]
    accuracy: float
    macro_f1: float
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Split:
    """Boolean masks over the clips: train (minus validation), validation, test."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    groups: np.ndarray

    @property
    def test_groups(self) -> tuple[str, ...]:
        return tuple(sorted({str(g) for g in self.groups[self.test]}))


def group_of(clip: LabelledClip, split_by: str) -> str:
    """The group (speaker, recording, fold) of a clip: the first regex group matched on its file name."""
    match = re.search(split_by, Path(clip.source).name)
    if match is None or not match.groups():
        raise OptionError(f"{Path(clip.source).name}: --split-by {split_by!r} does not match (it needs a group)")
    return match.group(1)


def split_clips(
    clips: Sequence[LabelledClip],
    *,
    split_by: str | None = None,
    test_groups: Sequence[str] | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.15,
    seed: int = 0,
) -> Split:
    """Test = the named groups, or a group-aware random ``test_size``; validation = a group-aware
    ``validation_size`` of what is left (no clip, speaker or recording is ever on two sides)."""
    try:
        from sklearn.model_selection import GroupShuffleSplit
    except ImportError as e:
        raise MissingExtraError("training needs scikit-learn: pip install 'earmark[train]'") from e
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
        test = _group_sample(groups, np.ones(len(clips), bool), test_size, seed, GroupShuffleSplit)
    validation = np.zeros(len(clips), bool)
    if validation_size > 0 and len(set(groups[~test])) >= 2:
        validation = _group_sample(groups, ~test, validation_size, seed, GroupShuffleSplit)
    return Split(~test & ~validation, validation, test, groups)


def _group_sample(groups: np.ndarray, among: np.ndarray, size: float, seed: int, splitter) -> np.ndarray:
    index = np.flatnonzero(among)
    _, picked = next(splitter(n_splits=1, test_size=size, random_state=seed).split(index, groups=groups[index]))
    mask = np.zeros(len(groups), bool)
    mask[index[picked]] = True
    return mask


def encode_clips(clips: Sequence[LabelledClip], encoder, cache: Path, progress=None) -> list[np.ndarray]:
    """Frames for every clip, from the cache where it has them; new ones are added to it as they come."""
    stored = dict(np.load(cache)) if cache.exists() else {}
    fresh = 0
    for n, clip in enumerate(clips, start=1):
        if clip.key not in stored:
            stored[clip.key] = encoder.frames(clip.decode()).astype(np.float16)
            fresh += 1
            if fresh % 200 == 0:  # resumable: an interrupted run keeps what it computed
                np.savez(cache, **stored)
        if progress:
            progress(n, len(clips))
    if fresh:
        np.savez(cache, **stored)
    return [stored[c.key].astype(np.float32) for c in clips]


def _cache_file(folder: Path, encoder: str) -> Path:
    return folder / f"frames-{re.sub(r'[^A-Za-z0-9._-]+', '_', encoder).strip('_')}.npz"


def train_head(
    clips: Sequence[LabelledClip],
    out: str | Path,
    *,
    encoder: str = "openwakeword",
    head: str = "logistic",
    split_by: str | None = None,
    test_groups: Sequence[str] | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cache: str | Path | None = None,
    data: str = "",
    licence: str | None = None,
    detector: str | None = None,
    window_s: float | None = None,
) -> TrainReport:
    """Train a head on a frozen encoder, save it, and score it on the held-out groups.

    ``encoder``: ``openwakeword``, ``whisper-base`` or a transformers audio model (Hub id or folder);
    ``head``: ``logistic``, ``mlp`` or ``attention``. Frames are cached in ``cache`` (default: the
    output folder) and reused by later runs with the same encoder. ``detector`` (and ``window_s``,
    its listening window) are set by :func:`train_keyword`."""
    from .embeddings import load_encoder
    from .heads import HEADS, fit_head

    if head not in HEADS:
        raise OptionError(f"head {head!r} is not known; allowed: {', '.join(HEADS)}")
    started = time.perf_counter()
    out = Path(out)
    split = split_clips(clips, split_by=split_by, test_groups=test_groups, test_size=test_size, seed=seed)
    if head == "logistic":  # no early stopping: it trains on the validation groups too
        split = Split(split.train | split.validation, np.zeros(len(clips), bool), split.test, split.groups)
    out.mkdir(parents=True, exist_ok=True)
    Path(cache or out).mkdir(parents=True, exist_ok=True)
    encoder_name = _model_ref(encoder)
    frames = encode_clips(clips, load_encoder(encoder_name), _cache_file(Path(cache or out), encoder_name), progress)
    encoded_s = time.perf_counter() - started
    labels = np.array([c.label for c in clips])
    classes = sorted(set(labels))
    fit = ~split.test
    fitted = fit_head(
        head, [f for f, m in zip(frames, fit) if m], labels[fit], classes, validation=split.validation[fit], seed=seed
    )
    _save_head_model(out, fitted, encoder_name, detector=detector, window_s=window_s)
    details = {
        "encode_seconds": round(encoded_s, 1),
        "fit_seconds": round(time.perf_counter() - started - encoded_s, 1),
    }
    if "epochs" in fitted:
        details |= {"epochs": fitted["epochs"], "stopped_at": fitted["stopped_at"], "refit": fitted["refit"]}
    config = {"mode": "head", "encoder": encoder_name, "head": head, "split_by": split_by, "seed": seed}
    if detector:
        config["detector"] = detector
    return finish(out, clips, split, config, data=data, licence=licence, started=started, details=details)


def train_keyword(
    positives: Sequence[LabelledClip],
    negatives: Sequence[LabelledClip],
    out: str | Path,
    *,
    keyword: str,
    encoder: str = "openwakeword",
    head: str = "logistic",
    max_crops: int = 10,
    test_size: float = 0.3,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cache: str | Path | None = None,
    data: str = "",
    licence: str | None = None,
) -> TrainReport:
    """A detector for one new word from a few positive clips: negatives are crops as long as the
    positives, cut from other audio (speech, noise, other words; one crop per 5 s of it, at most
    ``max_crops`` per file). The model scores the keyword alone (sigmoid), so
    ``earmark listen --model DIR`` fires on it."""
    if not positives or not negatives:
        raise OptionError(f"a keyword needs positive and negative audio; got {len(positives)} and {len(negatives)}")
    rng = np.random.default_rng(seed)
    length_s = float(np.median([c.decode().duration_s for c in positives]))
    crops = []
    for clip in negatives:
        duration = clip.decode().duration_s if clip.start_s is None else (clip.end_s or 0) - clip.start_s
        count = min(max_crops, max(1, math.ceil(duration / 5.0)))
        starts = [0.0] if duration <= length_s else rng.uniform(0, duration - length_s, count)
        offset = clip.start_s or 0.0
        for s in sorted(set(np.round(starts, 2))):
            end = offset + s + min(length_s, duration)
            crops.append(LabelledClip(clip.source, OTHER, offset + s, end, clip.audio))
    clips = [LabelledClip(c.source, keyword, c.start_s, c.end_s, c.audio) for c in positives] + crops
    return train_head(
        clips,
        out,
        encoder=encoder,
        head=head,
        test_size=test_size,
        seed=seed,
        progress=progress,
        cache=cache,
        data=data,
        licence=licence,
        split_by=r"^(.+)$",  # the file: crops of one recording never land on both sides
        detector=keyword,
        window_s=round(length_s + 0.5, 2),
    )


def _model_ref(name: str) -> str:
    """Local folders are stored as absolute paths, so the saved model loads from anywhere."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


def _save_head_model(
    out: Path, fitted: dict[str, Any], encoder: str, *, detector: str | None, window_s: float | None
) -> None:
    from .heads import WEIGHTS, save_head

    (out / WEIGHTS).unlink(missing_ok=True)  # a previous run's torch head
    save_head(fitted, out)
    config = {"type": "head", "encoder": encoder, "labels": fitted["classes"]}
    if detector:
        config |= {"detector": detector, "window_s": window_s}
    (out / CONFIG).write_text(json.dumps(config, indent=2))


def finish(
    out: Path,
    clips: Sequence[LabelledClip],
    split: Split,
    config: dict[str, Any],
    *,
    data: str,
    licence: str | None,
    started: float,
    details: dict[str, Any],
) -> TrainReport:
    """Score the saved model on the held-out clips (loaded as a user would), then write the
    evaluation, the report, the training config and the model card."""
    from .evaluation import evaluate
    from .loading import load

    test_clips = [c for c, t in zip(clips, split.test) if t]
    model = load(out)
    if config.get("detector"):
        evaluation = _detection(model, test_clips, config["detector"])
    else:
        evaluation = evaluate(model, test_clips, data=data or "held out").to_dict()
    report = TrainReport(
        mode=config["mode"],
        base=config.get("encoder") or config.get("model"),
        head=config.get("head"),
        labels=tuple(model.labels),
        train_clips=int(split.train.sum()),
        validation_clips=int(split.validation.sum()),
        test_clips=int(split.test.sum()),
        test_groups=split.test_groups if config.get("split_by") else (),
        accuracy=evaluation["accuracy"],
        macro_f1=evaluation["macro_f1"],
        seconds=round(time.perf_counter() - started, 1),
        details=details,
    )
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
    licence = licence or data_licence(data)
    command = shlex.join(["earmark", *sys.argv[1:]]) if Path(sys.argv[0]).name == "earmark" else None
    training = {
        **config,
        "data": data,
        "licence": licence,
        "test_groups": list(report.test_groups),
        "clips": len(clips),
        "command": command,
    }
    (out / TRAINING).write_text(json.dumps(training, indent=2))
    (out / "README.md").write_text(_card(report, training, evaluation))
    return report


def _detection(model: Classifier, clips: Sequence[LabelledClip], keyword: str) -> dict[str, Any]:
    """A detector on held-out clips at its 0.5 threshold: accuracy, keyword recall, false accepts."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    scores = np.array([p.scores[0].score for p in model.iter_classify((c.decode() for c in clips), top_k=None)])
    truth = np.array([c.label == keyword for c in clips])
    fired = scores >= 0.5
    names = [keyword, OTHER]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, fired, labels=[True, False], zero_division=0
    )
    return {
        "model": model.name,
        "clips": len(clips),
        "accuracy": float(accuracy_score(truth, fired)),
        "macro_f1": float(f1_score(truth, fired, average="macro", zero_division=0)),
        "recall": float(fired[truth].mean()) if truth.any() else 0.0,
        "false_accept_rate": float(fired[~truth].mean()) if (~truth).any() else 0.0,
        "threshold": 0.5,
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
            for name, p, r, f, n in zip(names, precision, recall, f1, support)
        },
    }


def data_licence(data: str) -> str:
    """The training data's licence as its folder states it (a LICENSE file, or a licence line in its
    MANIFEST/README), or a reminder to check."""
    if not data or data.startswith("hf:") or not Path(data).exists():
        return "not stated: check the data's licence before sharing this model"
    folder = Path(data).resolve()
    folder = folder if folder.is_dir() else folder.parent
    for place in (folder, *list(folder.parents)[:2]):
        for name in ("LICENSE", "LICENCE", "LICENSE.txt", "LICENSE.md", "COPYING"):
            if (place / name).is_file():
                first = next(
                    (ln.strip() for ln in (place / name).read_text(errors="replace").splitlines() if ln.strip())
                )
                return f"{first} ({place / name})"
        for name in ("MANIFEST.txt", "README.md", "README.txt"):
            if (place / name).is_file():
                for line in (place / name).read_text(errors="replace").splitlines():
                    if re.search(r"licen[cs]e\b\s*[:|]|under the terms|licensed under", line, re.I):
                        return f"{line.strip(' -*#')[:300]} ({place / name})"
    return "not stated: check the data's licence before sharing this model"


def _card(report: TrainReport, training: dict[str, Any], evaluation: dict[str, Any]) -> str:
    per_class = "\n".join(
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for label, m in evaluation["per_class"].items()
    )
    how = (
        f"frozen encoder `{report.base}`, {report.head} head"
        if report.mode == "head"
        else f"fine-tuned from `{report.base}` (transformers Trainer)"
    )
    shown = ", ".join(report.test_groups[:5]) + (
        f" and {len(report.test_groups) - 5} more" if len(report.test_groups) > 5 else ""
    )
    held_out = shown or f"a random {report.test_clips} clips (by group)"
    repeat = training.get("command") or "see training.json"
    refit = (
        "\n  (validation picks the number of epochs; the head is then trained again on train + validation)"
        if report.details.get("refit")
        else ""
    )
    if "false_accept_rate" in evaluation:
        per_class += (
            f"\n\nAt threshold {evaluation['threshold']}: the keyword is caught in {evaluation['recall']:.1%} of "
            f"held-out keyword clips; {evaluation['false_accept_rate']:.1%} of held-out other clips fire."
        )
    return f"""# earmark model

Trained with earmark: {how}.

- Labels: {", ".join(report.labels)}
- Data: {training.get("data") or "(in memory)"}, {training["clips"]} clips
- Split: by `{training.get("split_by") or "clip"}`; held out: {held_out}
- Clips: {report.train_clips} train, {report.validation_clips} validation, {report.test_clips} test{refit}
- Held-out accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f} (scored by loading this folder)
- Training took {report.seconds:.0f} s ({json.dumps(report.details)})
- Training data licence: {training["licence"]}

| label | precision | recall | F1 | clips |
|---|---|---|---|---|
{per_class}

Use it: `earmark classify FILE --model THIS_FOLDER`, or `earmark listen FILE --model THIS_FOLDER`.
Repeat it: `{repeat}` (all settings in `training.json`; the seed fixes the split and the head).
"""


class HeadClassifier(Classifier):
    """A trained head on a frozen encoder, loaded from its folder. A keyword detector (``detector``
    in its config) scores its one word with a sigmoid."""

    window_s = None

    def __init__(self, folder: Path) -> None:
        from .embeddings import load_encoder
        from .heads import load_head_weights

        config = json.loads((folder / CONFIG).read_text())
        self.name = str(folder)
        self.encoder = load_encoder(config["encoder"])
        self.sample_rate = self.encoder.sample_rate
        self.head = load_head_weights(folder)
        self.stream_window_s = config.get("window_s")
        self.detector = config.get("detector")
        if self.detector:
            self.multi_label = True
            self._labels: tuple[str, ...] = (self.detector,)
            self._columns = [self.head["classes"].index(self.detector), self.head["classes"].index(OTHER)]
        else:
            self._labels = tuple(self.head["classes"])

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        from .audio import Audio

        return self._logits([self.encoder.frames(Audio(c, self.sample_rate)) for c in clips])

    def _logits(self, frames: list[np.ndarray]) -> np.ndarray:
        from .heads import predict_logits

        logits = predict_logits(self.head, frames)
        if self.detector:  # sigmoid(z_word - z_other) is the softmax probability of the word
            return (logits[:, self._columns[0]] - logits[:, self._columns[1]])[:, None]
        return logits

    def score_frames(self, frames: np.ndarray) -> np.ndarray:
        """Scores (sigmoid for a detector, softmax otherwise) for one clip's encoder frames."""
        z = self._logits([frames])[0]
        if self.detector:
            return 1.0 / (1.0 + np.exp(-z))
        e = np.exp(z - z.max())
        return e / e.sum()


def load_head(folder: str | Path) -> HeadClassifier:
    """A head model folder written by ``earmark train``."""
    folder = Path(folder)
    try:
        return HeadClassifier(folder)
    except (OSError, KeyError, ValueError) as e:
        raise ModelError(f"{folder}: not a readable earmark head model ({e})") from e
