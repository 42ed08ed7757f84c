"""Scoring on synthetic logits: activations, the candidate set, allow/deny lists, threshold, top-k,
vote pooling and abstaining, through the core alone (no model)."""

import numpy as np
import pytest

from earmark import LabelError
from earmark.options import ClassifyOptions
from earmark.scoring import activate, rank, resolve_labels, restrict_logits
from earmark.windows import pool

LABELS = ("cat", "dog", "owl", "bee")


def test_softmax_sigmoid_and_none():
    logits = np.array([[2.0, 1.0, 0.0, -1.0]])
    softmax = activate(logits, "softmax")
    assert softmax.sum() == pytest.approx(1.0) and softmax.argmax() == 0
    np.testing.assert_allclose(activate(logits, "sigmoid"), 1 / (1 + np.exp(-logits)))
    np.testing.assert_array_equal(activate(logits, "none"), logits)


def test_restrict_renormalises_over_the_candidates():
    logits = np.array([[5.0, 1.0, 0.0, 3.0]])
    restricted = activate(restrict_logits(logits, LABELS, ("dog", "owl")), "softmax")[0]
    assert restricted[0] == 0 and restricted[3] == 0 and restricted[1] + restricted[2] == pytest.approx(1.0)
    ranked = rank(restricted, LABELS, ClassifyOptions(restrict=("dog", "owl"), top_k=None))
    assert [s.label for s in ranked] == ["dog", "owl"]


def test_include_exclude_threshold_top_k_and_codes():
    scores = np.array([0.5, 0.3, 0.15, 0.05])
    assert [s.label for s in rank(scores, LABELS, ClassifyOptions(top_k=2))] == ["cat", "dog"]
    assert [s.label for s in rank(scores, LABELS, ClassifyOptions(exclude=("cat",), top_k=2))] == ["dog", "owl"]
    assert [s.label for s in rank(scores, LABELS, ClassifyOptions(include=("owl", "bee")))] == ["owl", "bee"]
    assert [s.label for s in rank(scores, LABELS, ClassifyOptions(threshold=0.2))] == ["cat", "dog"]
    coded = rank(scores, LABELS, ClassifyOptions(top_k=1), codes=("c", "d", "o", "b"))
    assert coded[0].code == "c"


def test_labels_are_resolved_by_code_and_unknown_ones_refused():
    options = resolve_labels(ClassifyOptions(restrict=("d", "owl")), LABELS, ("c", "d", "o", "b"))
    assert options.restrict == ("dog", "owl")
    with pytest.raises(LabelError, match=r"restrict: label\(s\) \['fox'\] are not among the model's 4 labels"):
        resolve_labels(ClassifyOptions(restrict=("fox",)), LABELS, None)


def test_vote_pooling_weights_confident_and_long_windows():
    scores = np.array([[0.7, 0.3], [0.7, 0.3], [0.7, 0.3], [0.1, 0.9], [0.1, 0.9]])
    np.testing.assert_allclose(pool(scores, "mean"), [0.46, 0.54])
    # each window weighs its best score: 0.7 three times, 0.9 twice
    np.testing.assert_allclose(pool(scores, "vote"), [1.65 / 3.9, 2.25 / 3.9])
    lengths = np.array([1.0, 1.0, 1.0, 0.1, 0.1])  # the sure windows are short: they count less
    weights = scores.max(axis=1) * lengths
    np.testing.assert_allclose(pool(scores, "vote", lengths), (weights[:, None] * scores).sum(0) / weights.sum())
    assert pool(scores, "vote", lengths).argmax() == 0
    np.testing.assert_allclose(pool(scores, "max"), [0.7, 0.9])


def test_abstaining_puts_unknown_first(loaded):
    clip = np.zeros(16000, np.float32)
    prediction = loaded("ast")(clip, sample_rate=16000, abstain_below=0.99, top_k=2)
    best = max(s.score for s in loaded("ast")(clip, sample_rate=16000, top_k=None).scores)
    assert prediction.scores[0].label == "unknown" and prediction.scores[0].score == pytest.approx(1 - best)
    assert len(prediction.scores) == 3  # unknown, then the top 2
