import numpy as np
import pytest

from earmark.options import ClassifyOptions
from earmark.scoring import rank
from earmark.windows import merge_runs, plan_windows, pool


def test_short_audio_is_one_window():
    assert plan_windows(8000, 16000, 1.0, 0.5) == [(0, 8000)]


def test_windows_cover_the_end_without_padding():
    spans = plan_windows(40000, 16000, 1.0, 1.0)
    assert spans == [(0, 16000), (16000, 32000), (24000, 40000)]
    assert all(b - a == 16000 for a, b in spans)


def test_hop_gives_overlap():
    assert plan_windows(32000, 16000, 1.0, 0.5) == [(0, 16000), (8000, 24000), (16000, 32000)]


def test_pool_mean_and_max():
    scores = np.array([[0.9, 0.1], [0.3, 0.7]])
    np.testing.assert_allclose(pool(scores, "mean"), [0.6, 0.4])
    np.testing.assert_allclose(pool(scores, "max"), [0.9, 0.7])


def test_adjacent_windows_with_the_same_top_label_merge():
    labels = ("speech", "music")
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.7, 0.3]])
    spans = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]
    ranked = lambda v: rank(v, labels, ClassifyOptions(top_k=None))  # noqa: E731
    timeline = merge_runs(spans, scores, ranked)
    assert [(s.start_s, s.end_s, s.label) for s in timeline] == [
        (0.0, 2.0, "speech"),
        (2.0, 3.0, "music"),
        (3.0, 4.0, "speech"),
    ]
    assert timeline.segments[0].score == pytest.approx(0.85)
    assert len(merge_runs(spans, scores, ranked, merge=False)) == 4
