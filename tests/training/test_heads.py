"""Heads: early stopping on the validation split, class weights, save and load."""

import numpy as np
import pytest

from earmark.engines.head import TrainedHead
from earmark.training.heads import fit_head, save_head

pytest.importorskip("sklearn")


def _frames(n: int, seed: int, signal: bool) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b"] * (n // 2))
    frames = [rng.standard_normal((int(rng.integers(3, 12)), 8)).astype(np.float32) for _ in range(n)]
    if signal:
        frames = [f + (2.0 if y == "b" else 0.0) * (np.arange(8) == 0) for f, y in zip(frames, labels)]
    return frames, labels


@pytest.mark.parametrize("kind", ["mlp", "attention"])
def test_noise_labels_stop_early(kind):
    frames, labels = _frames(80, 0, signal=False)
    validation = np.arange(80) >= 60
    head = fit_head(kind, frames, labels, ["a", "b"], validation=validation, max_epochs=300, patience=10)
    assert head.stopping.stopped_at < 100  # validation loss stops improving on random labels
    assert head.stopping.stopped_at == head.stopping.epochs + 10 and head.stopping.refit


def test_without_refit_the_best_epoch_is_kept():
    frames, labels = _frames(80, 1, signal=True)
    validation = np.arange(80) >= 64
    kept = fit_head("mlp", frames, labels, ["a", "b"], validation=validation, refit=False, patience=5)
    refit = fit_head("mlp", frames, labels, ["a", "b"], validation=validation, refit=True, patience=5)
    assert kept.stopping.epochs == refit.stopping.epochs and not kept.stopping.refit
    assert not np.allclose(kept.mean, refit.mean)  # the refit standardises over all the clips


@pytest.mark.parametrize("kind", ["logistic", "mlp", "attention"])
def test_heads_learn_save_and_load(kind, tmp_path):
    frames, labels = _frames(80, 1, signal=True)
    validation = np.arange(80) >= 64
    head = fit_head(kind, frames, labels, ["a", "b"], validation=validation if kind != "logistic" else None)
    save_head(head, tmp_path)
    loaded = TrainedHead.load(tmp_path)
    assert loaded.kind == kind and loaded.classes == ("a", "b") and loaded.stopping == head.stopping
    test, truth = _frames(40, 2, signal=True)
    logits = loaded.logits(test)
    assert logits.shape == (40, 2)
    assert (np.array(["a", "b"])[logits.argmax(axis=1)] == truth).mean() >= 0.9
    np.testing.assert_allclose(logits, head.logits(test), atol=1e-5)  # the saved head is the fitted one


def test_class_weights_balance_a_rare_class():
    rng = np.random.default_rng(3)
    labels = np.array(["a"] * 90 + ["b"] * 10)
    frames = [rng.standard_normal((4, 4)).astype(np.float32) + (1.5 if y == "b" else 0) for y in labels]
    head = fit_head("mlp", frames, labels, ["a", "b"], validation=np.arange(100) % 5 == 0)
    test = [rng.standard_normal((4, 4)).astype(np.float32) + 1.5 for _ in range(50)]
    assert (head.logits(test).argmax(axis=1) == 1).mean() >= 0.6
