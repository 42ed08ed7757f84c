"""Full fine-tuning of any ``AutoModelForAudioClassification`` with the transformers ``Trainer``.

The recipe is the one from the Hugging Face audio course (music genre on GTZAN): AdamW with linear
warm-up, gradient accumulation, fp16 where a GPU exists, the best epoch (validation accuracy) kept.
The dataset's labels become the model's ``id2label``; the output folder is a plain transformers
checkpoint (``from_pretrained`` loads it, ``earmark classify --model DIR`` too) with a model card,
the held-out evaluation and the training config. Checkpoints are kept while training, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, OptionError, missing_extra
from ..hub import check_local, local_ref, pretrained
from ..io.labelled import LabelledClip
from .split import split_clips
from .train import TrainReport, finish

__all__ = ["FinetuneConfig", "finetune"]

CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class FinetuneConfig:
    learning_rate: float = 5e-5
    epochs: float = 10.0
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    max_duration_s: float = 30.0  # longer clips are cut (the GTZAN recipe uses 30 s)
    max_steps: int = -1  # > 0: stop after this many optimiser steps (smoke tests)
    logging_steps: int = 10

    def __post_init__(self) -> None:
        if self.learning_rate <= 0 or self.epochs <= 0 or self.batch_size < 1 or self.gradient_accumulation_steps < 1:
            raise OptionError(f"fine-tuning settings must be positive; got {self}")
        if not 0 <= self.warmup_ratio < 1:
            raise OptionError(f"warmup_ratio must be in [0, 1); got {self.warmup_ratio}")
        if self.max_duration_s <= 0:
            raise OptionError(f"max_duration_s must be positive; got {self.max_duration_s}")


def finetune(
    clips: Sequence[LabelledClip],
    out: str | Path,
    *,
    model: str,
    config: FinetuneConfig | None = None,
    split_by: str | None = None,
    test_groups: Sequence[str] | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    data: str = "",
    licence: str | None = None,
    revision: str | None = None,
    callbacks: Sequence[Any] = (),
) -> TrainReport:
    """Fine-tune ``model`` (Hub id or local checkpoint) on ``clips`` and save it to ``out``.
    ``callbacks`` are transformers ``TrainerCallback`` objects (progress, logging, stopping)."""
    try:
        import accelerate  # noqa: F401  (the Trainer needs it)
        import torch
        from transformers import Trainer
        from transformers.trainer_utils import get_last_checkpoint
    except ImportError as e:
        raise missing_extra("accelerate", "train", "fine-tuning") from e
    from ..engines.extractors import fixed_window_s

    config = config or FinetuneConfig()
    started = time.perf_counter()
    out = Path(out)
    split = split_clips(clips, split_by=split_by, test_groups=test_groups, test_size=test_size, seed=seed)
    classes = sorted({c.label for c in clips})
    base = local_ref(model)
    extractor, network = _base_model(base, classes, revision)
    rate = int(extractor.sampling_rate)
    padding = {} if fixed_window_s(extractor) is not None else {"padding": True}
    index = {label: i for i, label in enumerate(classes)}

    def collate(batch: list[tuple[np.ndarray, int]]) -> dict[str, Any]:
        inputs = extractor([b[0] for b in batch], sampling_rate=rate, return_tensors="pt", **padding)
        return {**inputs, "labels": torch.tensor([b[1] for b in batch])}

    train_rows = _decoded(clips, split.train, rate, index, config.max_duration_s)
    validation_rows = _decoded(clips, split.validation, rate, index, config.max_duration_s)
    has_validation = bool(validation_rows)
    checkpoints = out / CHECKPOINTS
    arguments = _training_arguments(config, checkpoints, has_validation, seed)
    trainer = Trainer(
        model=network,
        args=arguments,
        train_dataset=train_rows,
        eval_dataset=validation_rows or None,
        data_collator=collate,
        compute_metrics=_accuracy if has_validation else None,
        callbacks=list(callbacks) or None,
    )
    resume = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    result = _train_and_keep_best(trainer, resume, base)
    trainer.save_model(str(out))
    extractor.save_pretrained(str(out))
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    shutil.rmtree(checkpoints, ignore_errors=True)
    settings = {"mode": "finetune", "model": base, "split_by": split_by, "seed": seed, **asdict(config)}
    details = {
        "train_seconds": round(float(result.metrics.get("train_runtime", 0.0)), 1),
        "steps": int(trainer.state.global_step),
        "losses": [round(float(x), 4) for x in losses],
        "best_checkpoint": Path(trainer.state.best_model_checkpoint or "").name or None,
        "resumed_from": Path(resume).name if resume else None,
    }
    return finish(out, clips, split, settings, data=data, licence=licence, started=started, details=details)


def _training_arguments(config: FinetuneConfig, checkpoints: Path, has_validation: bool, seed: int) -> Any:
    """The transformers ``TrainingArguments`` of one fine-tuning run."""
    import torch
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(checkpoints),
        learning_rate=config.learning_rate,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a fraction of the steps
        weight_decay=config.weight_decay,
        eval_strategy="epoch" if has_validation else "no",
        save_strategy="epoch",
        save_total_limit=2,
        # The best epoch is reloaded below with from_pretrained: the Trainer's own reload
        # (load_best_model_at_end) skips transformers 5's key renaming and misses weights of some models (AST).
        metric_for_best_model="accuracy" if has_validation else None,
        logging_steps=config.logging_steps,
        fp16=torch.cuda.is_available(),
        dataloader_pin_memory=torch.cuda.is_available(),
        seed=seed,
        report_to="none",
        remove_unused_columns=False,
        disable_tqdm=True,
    )


def _base_model(base: str, classes: Sequence[str], revision: str | None) -> tuple[Any, Any]:
    """The checkpoint's feature extractor and network, with a new head for ``classes``."""
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    check_local(base)
    kwargs: dict[str, Any] = {"revision": revision}
    extractor = pretrained(AutoFeatureExtractor, base, "feature extractor", **kwargs)
    kwargs |= {
        "id2label": dict(enumerate(classes)),
        "label2id": {label: i for i, label in enumerate(classes)},
        "ignore_mismatched_sizes": True,  # the pretrained head (if any) has other labels: a new one is trained
    }
    return extractor, pretrained(AutoModelForAudioClassification, base, "weights", **kwargs)


def _accuracy(prediction: Any) -> dict[str, float]:
    """The Trainer's validation metric."""
    return {"accuracy": float((np.argmax(prediction.predictions, axis=-1) == prediction.label_ids).mean())}


def _train_and_keep_best(trainer: Any, resume: str | None, base: str) -> Any:
    """Train (resuming from the last checkpoint), then reload the best epoch's weights."""
    from transformers import AutoModelForAudioClassification

    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"fine-tuning {base!r} failed: {e}") from e
    best = trainer.state.best_model_checkpoint
    if best and Path(best).is_dir():
        trainer.model = AutoModelForAudioClassification.from_pretrained(best)
    return result


def _decoded(
    clips: Sequence[LabelledClip], mask: np.ndarray, rate: int, index: dict[str, int], max_s: float
) -> list[tuple[np.ndarray, int]]:
    """The chosen clips' samples (mono, at the model's rate, at most ``max_s``) and label indices."""
    return [
        (clip.decode().mono().resample(rate).samples[: int(max_s * rate)], index[clip.label])
        for clip, keep in zip(clips, mask)
        if keep
    ]
