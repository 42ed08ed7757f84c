import json

import numpy as np
import pytest

from earmark.fold import Fold, FoldState, join
from earmark.options import ClassifyOptions
from earmark.scoring import rank
from earmark.windows import pool

LABELS = ("a", "b", "c")


def ranked(vector):
    return rank(vector, LABELS, ClassifyOptions(top_k=2))


def windows(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    scores = rng.dirichlet([0.3, 0.3, 0.3], size=n)  # peaky: runs of one top label and changes
    scores[4], scores[5:9], scores[9] = [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]  # a run of four b
    lengths = rng.integers(100, 300, size=n)
    spans = [(i * 0.5, i * 0.5 + 1.0) for i in range(n)]
    return spans, scores, lengths


@pytest.mark.parametrize("how", ["mean", "max", "vote"])
def test_a_fold_pools_like_the_whole_array(how):
    spans, scores, lengths = windows(40)
    fold = Fold(how, ranked)
    for (a, b), v, n in zip(spans, scores, lengths):
        fold.add(a, b, v, int(n))
    np.testing.assert_allclose(fold.finish(), pool(scores, how, lengths.astype(np.float64)), rtol=1e-12)


def test_vote_with_no_confidence_is_the_plain_mean():
    fold = Fold("vote", ranked)
    for _ in range(3):
        fold.add(0, 1, np.zeros(3), 10)
    np.testing.assert_array_equal(fold.finish(), np.zeros(3))


def test_segments_merge_runs_of_one_top_label_and_are_emitted_as_they_close():
    spans, scores, lengths = windows(40)
    emitted = []
    fold = Fold("mean", ranked, on_segment=emitted.append)
    tops = [ranked(v)[0].label for v in scores]
    for i, ((a, b), v) in enumerate(zip(spans, scores)):
        fold.add(a, b, v, 1)
        assert len(emitted) == sum(tops[j] != tops[j + 1] for j in range(i))  # closed by a change only
    fold.finish()
    assert emitted == list(fold.segments)
    run = next(s for s in fold.segments if s.start_s == 2.5)
    assert (run.end_s, run.label) == (5.0, "b") and run.score == pytest.approx(0.8)
    assert len(Fold("mean", ranked, merge=False).segments) == 0


def test_one_window_is_no_timeline():
    fold = Fold("mean", ranked, on_segment=lambda s: pytest.fail("emitted"))
    fold.add(0.0, 1.0, np.array([0.2, 0.5, 0.3]), 1)
    assert fold.finish() is not None and fold.segments == ()


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("how", ["mean", "max", "vote"])
@pytest.mark.parametrize("cuts", [(1,), (6,), (5, 6, 7), (3, 9, 20, 21), tuple(range(1, 40))])
def test_spans_folded_apart_join_into_the_one_fold(merge, how, cuts):
    spans, scores, lengths = windows(40, seed=1)
    whole = Fold(how, ranked, merge=merge)
    for (a, b), v, n in zip(spans, scores, lengths):
        whole.add(a, b, v, int(n))
    expected = whole.finish()
    states = []
    for lo, hi in zip((0, *cuts), (*cuts, 40)):
        part = Fold(how, ranked, merge=merge, open_ends=True)
        for (a, b), v, n in zip(spans[lo:hi], scores[lo:hi], lengths[lo:hi]):
            part.add(a, b, v, int(n))
        part.finish()
        states.append(FoldState.from_dict(json.loads(json.dumps(part.state.to_dict()))))  # as a shard keeps it
    pooled, segments = join(states, ranked, merge=merge, pooling=how)
    np.testing.assert_allclose(pooled, expected, rtol=1e-12)
    assert [(s.start_s, s.end_s, s.label) for s in segments] == [(s.start_s, s.end_s, s.label) for s in whole.segments]
    for got, want in zip(segments, whole.segments):
        assert [x.label for x in got.scores] == [x.label for x in want.scores]
        np.testing.assert_allclose([x.score for x in got.scores], [x.score for x in want.scores], rtol=1e-12)
