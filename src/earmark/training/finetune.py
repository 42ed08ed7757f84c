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
        from transformers import AutoFeatureExtractor, AutoModelForAudioClassification, Trainer, TrainingArguments
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
    check_local(base)
    kwargs: dict[str, Any] = {"revision": revision}
    extractor = pretrained(AutoFeatureExtractor, base, "feature extractor", **kwargs)
    kwargs |= {
        "id2label": dict(enumerate(classes)),
        "label2id": {label: i for i, label in enumerate(classes)},
        "ignore_mismatched_sizes": True,  # the pretrained head (if any) has other labels: a new one is trained
    }
    network = pretrained(AutoModelForAudioClassification, base, "weights", **kwargs)
    rate = int(extractor.sampling_rate)
    padding = {} if fixed_window_s(extractor) is not None else {"padding": True}
    index = {label: i for i, label in enumerate(classes)}

    def decoded(mask: np.ndarray) -> list[tuple[np.ndarray, int]]:
        rows = []
        for clip, keep in zip(clips, mask):
            if keep:
                samples = clip.decode().mono().resample(rate).samples[: int(config.max_duration_s * rate)]
                rows.append((samples, index[clip.label]))
        return rows

    def collate(batch: list[tuple[np.ndarray, int]]) -> dict[str, Any]:
        inputs = extractor([b[0] for b in batch], sampling_rate=rate, return_tensors="pt", **padding)
        return {**inputs, "labels": torch.tensor([b[1] for b in batch])}

    def accuracy(prediction) -> dict[str, float]:
        return {"accuracy": float((np.argmax(prediction.predictions, axis=-1) == prediction.label_ids).mean())}

    train_rows = decoded(split.train)
    validation_rows = decoded(split.validation)
    has_validation = bool(validation_rows)
    checkpoints = out / CHECKPOINTS
    arguments = TrainingArguments(
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
    trainer = Trainer(
        model=network,
        args=arguments,
        train_dataset=train_rows,
        eval_dataset=validation_rows or None,
        data_collator=collate,
        compute_metrics=accuracy if has_validation else None,
        callbacks=list(callbacks) or None,
    )
    resume = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"fine-tuning {base!r} failed: {e}") from e
    best = trainer.state.best_model_checkpoint
    if best and Path(best).is_dir():
        trainer.model = AutoModelForAudioClassification.from_pretrained(best)
    trainer.save_model(str(out))
    extractor.save_pretrained(str(out))
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    shutil.rmtree(checkpoints, ignore_errors=True)
    settings = {"mode": "finetune", "model": base, "split_by": split_by, "seed": seed, **asdict(config)}
    details = {
        "train_seconds": round(float(result.metrics.get("train_runtime", 0.0)), 1),
        "steps": int(trainer.state.global_step),
        "losses": [round(float(x), 4) for x in losses],
        "best_checkpoint": Path(best).name if best else None,
        "resumed_from": Path(resume).name if resume else None,
    }
    return finish(out, clips, split, settings, data=data, licence=licence, started=started, details=details)
