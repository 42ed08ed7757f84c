"""Small classification heads over frozen encoder frames, trained with class weights and early stopping.

- ``logistic``: standardised logistic regression on mean+std pooled frames (scikit-learn);
- ``mlp``: one hidden layer on the same pooled vector (torch);
- ``attention``: attentive statistics pooling (torch) - it learns which frames matter, e.g. the word
  in a clip with silence around it.

The networks, and running a saved head, are the head engine's (:mod:`earmark.engines.head`).

Torch heads pick their number of epochs on a validation split (early stopping on the validation
loss), are then trained again on all the training clips for that many epochs, and are saved as
safetensors next to a JSON description.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..engines.encoders import stats_pool
from ..engines.head import Stopping, TrainedHead, head_networks, pad_frames

__all__ = ["HEADS", "fit_head", "save_head"]

HEADS = ("logistic", "mlp", "attention")


def fit_head(
    kind: str,
    frames: Sequence[np.ndarray],
    labels: np.ndarray,
    classes: Sequence[str],
    *,
    validation: np.ndarray | None = None,
    seed: int = 0,
    max_epochs: int = 300,
    patience: int = 20,
    refit: bool = True,
) -> TrainedHead:
    """Fit a head on per-clip frames; ``validation`` marks the clips held out for early stopping.
    With ``refit``, the validation split only picks the number of epochs: the head is then trained
    again, from the same start, on all the clips for that many epochs (small data needs every clip).
    Returns the fitted head (``save_head`` writes it)."""
    y = np.array([list(classes).index(label) for label in labels])
    if kind == "logistic":
        return _fit_logistic([stats_pool(f) for f in frames], y, classes, seed)
    validation = np.zeros(len(frames), bool) if validation is None else np.asarray(validation, bool)
    model, mean, scale, best_epoch, stopped, best_loss = _fit_torch(
        kind, frames, y, len(classes), validation, seed, max_epochs, patience
    )
    if refit and validation.any():
        everything = np.zeros(len(frames), bool)
        model, mean, scale, *_ = _fit_torch(kind, frames, y, len(classes), everything, seed, best_epoch, patience)
    stopping = Stopping(best_epoch, stopped, best_loss, bool(refit and validation.any()))
    return TrainedHead(
        kind, tuple(classes), mean.astype(np.float32), scale.astype(np.float32), module=model, stopping=stopping
    )


def _fit_torch(kind, frames, y, n_classes, validation, seed, max_epochs, patience):
    """Train from a seeded start; with a validation split, keep the best epoch (lowest validation
    loss, better by 1% and at least 0.001) and stop after ``patience`` epochs without one."""
    import torch

    torch.manual_seed(seed)
    train = [f for f, v in zip(frames, validation) if not v]
    stacked = np.concatenate(train)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-5
    counts = np.bincount(y[~validation], minlength=n_classes).astype(np.float32)
    weight = torch.tensor(np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0.0))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight.float())
    model = head_networks()[kind](len(mean), n_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    x_train, m_train = pad_frames(train, mean, scale)
    y_train = torch.from_numpy(y[~validation])
    if validation.any():
        x_val, m_val = pad_frames([f for f, v in zip(frames, validation) if v], mean, scale)
        y_val = torch.from_numpy(y[validation])
    generator = torch.Generator().manual_seed(seed)
    best, best_loss, best_epoch, waited, epoch = None, None, max_epochs, 0, 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        for batch in torch.randperm(len(y_train), generator=generator).split(32):
            optimizer.zero_grad()
            loss_fn(model(x_train[batch], m_train[batch]), y_train[batch]).backward()
            optimizer.step()
        if not validation.any():
            continue
        model.eval()
        with torch.no_grad():
            loss = float(loss_fn(model(x_val, m_val), y_val))
        if best_loss is None or loss < best_loss - max(1e-3, 0.01 * best_loss):
            best, best_loss, best_epoch, waited = {k: v.clone() for k, v in model.state_dict().items()}, loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                break
    if best is not None:
        model.load_state_dict(best)
    return model.eval(), mean, scale, best_epoch, epoch, best_loss


def _fit_logistic(x: list[np.ndarray], y: np.ndarray, classes: Sequence[str], seed: int) -> TrainedHead:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.stack(x)
    scaler = StandardScaler().fit(x)
    head = LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed)
    head.fit(scaler.transform(x), y)
    coef, intercept = head.coef_, head.intercept_
    if coef.shape[0] == 1:  # binary: softmax over (0, z) equals the sigmoid
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    mean, scale = scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)
    return TrainedHead("logistic", tuple(classes), mean, scale, np.asarray(coef), np.asarray(intercept))


def save_head(head: TrainedHead, folder: Path) -> None:
    """Write a fitted head where the head engine reads it."""
    head.save(folder)
