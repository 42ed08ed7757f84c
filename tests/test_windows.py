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


# --- windows from a stream equal the whole recording's ---------------------------------------------

from earmark.windows import Grid, extract, stream_windows  # noqa: E402


def _blocks(samples: np.ndarray, size: int):
    return (samples[i : i + size] for i in range(0, len(samples), size))


def _align_plan(window: int, hop: int):
    def plan(n: int):
        return [(s, s) for s in plan_windows(n, 1000, window / 1000, hop / 1000)]

    return plan


def _pad_plan(window: int, hop: int, min_tail: int):
    def plan(n: int):
        out = []
        for start in range(0, max(n, 1), hop):
            end = min(start + window, n)
            if out and end - start < min_tail:
                break
            out.append(((start, end), (start, start + window)))
        return out

    return plan


def _centred_plan(grid: Grid, frame: int):
    def plan(n: int):
        frames = (grid.window - 2 * -grid.offset) // frame + 1
        total = max(1 + n // frame, frames)
        return [grid.window_at(k, n) for k in range((total - frames) // (grid.hop // frame) + 1)]

    return plan


GRIDS = {
    "align, hop = window": (Grid(300, 300), _align_plan(300, 300)),
    "align, hop < window": (Grid(300, 70), _align_plan(300, 70)),
    "pad, BirdNET-like": (Grid(300, 300), _pad_plan(300, 300, 150)),
    "pad, overlapping": (Grid(300, 120), _pad_plan(300, 120, 150)),
    "centred STFT, musicnn-like": (Grid(10 * 16 + 32, 5 * 16, offset=-16, report=11 * 16), None),
}


@pytest.mark.parametrize("kind", list(GRIDS))
@pytest.mark.parametrize("length", [1, 150, 299, 300, 301, 599, 1000, 1234, 5000])
@pytest.mark.parametrize("block", [1, 64, 999, 10_000])
def test_stream_windows_equal_the_plan_of_the_whole_recording(kind, length, block):
    grid, plan = GRIDS[kind]
    plan = plan or _centred_plan(grid, 16)
    samples = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    whole = [(span, extract(samples, 0, extent, length)) for span, extent in plan(length)]
    lengths = []
    streamed = list(stream_windows(_blocks(samples, block), grid, plan, on_end=lengths.append))
    assert [s for s, _ in streamed] == [s for s, _ in whole]
    for (_, a), (_, b) in zip(streamed, whole):
        np.testing.assert_array_equal(a, b)
    assert lengths == [length]


@pytest.mark.parametrize("first,stop", [(0, 3), (3, 7), (5, None), (12, None)])
def test_a_span_of_the_stream_is_its_part_of_the_whole(first, stop):
    grid, plan = Grid(300, 70), _align_plan(300, 70)
    samples = np.random.default_rng(0).standard_normal(1234).astype(np.float32)
    whole = [(span, extract(samples, 0, extent, 1234)) for span, extent in plan(1234)][first:stop]
    origin = max(0, grid.window_at(first)[1][0] - 100)  # a span read starts a little before its first window
    streamed = list(stream_windows(_blocks(samples[origin:], 97), grid, plan, origin=origin, first=first, stop=stop))
    assert [s for s, _ in streamed] == [s for s, _ in whole]
    for (_, a), (_, b) in zip(streamed, whole):
        np.testing.assert_array_equal(a, b)


def test_extract_pads_with_zeros_outside_the_recording():
    samples = np.arange(1, 6, dtype=np.float32)
    np.testing.assert_array_equal(extract(samples, 0, (-2, 3), 5), [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(extract(samples, 0, (3, 8), 5), [4, 5, 0, 0, 0])
    np.testing.assert_array_equal(extract(samples[2:], 2, (2, 4)), [3, 4])
