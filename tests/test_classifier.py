"""The shared classifier path: options, long audio, batching, real recordings."""

import numpy as np
import pytest

import earmark
from earmark import Audio, ClassifyOptions, LabelError, OptionError

from synthetic import noise, shared_path, tone


def scores_of(scores) -> dict:
    return {s.label: s.score for s in scores}


def test_top_k_default_and_clamp(loaded):
    clf = loaded("ast")
    assert len(clf.classify(noise(), sample_rate=16000)) == 4  # 5 clamped to the 4 labels
    assert len(clf.classify(noise(), sample_rate=16000, top_k=2)) == 2
    scores = [s.score for s in clf.classify(noise(), sample_rate=16000, top_k=None)]
    assert scores == sorted(scores, reverse=True) and sum(scores) == pytest.approx(1.0)


def test_threshold_include_exclude(loaded):
    clf = loaded("ast")
    everything = clf.classify(noise(), sample_rate=16000, top_k=None)
    cut = everything[1].score
    assert [s.label for s in clf.classify(noise(), sample_rate=16000, threshold=cut)] == [
        s.label for s in everything if s.score >= cut
    ]
    assert [s.label for s in clf.classify(noise(), sample_rate=16000, include=["up", "down"])] == [
        s.label for s in everything if s.label in ("up", "down")
    ]
    assert "yes" not in [s.label for s in clf.classify(noise(), sample_rate=16000, exclude="yes")]


def test_unknown_labels_and_options_are_errors(loaded):
    clf = loaded("ast")
    with pytest.raises(LabelError, match="'maybe'"):
        clf.classify(noise(), sample_rate=16000, include=["maybe"])
    with pytest.raises(OptionError, match="unknown option"):
        clf.classify(noise(), sample_rate=16000, topk=3)
    with pytest.raises(OptionError, match="function_to_apply"):
        clf.classify(noise(), sample_rate=16000, function_to_apply="relu")


@pytest.mark.parametrize(
    "bad",
    [
        dict(top_k=0),
        dict(window_s=0),
        dict(window_s=1, hop_s=2),
        dict(hop_s=1),
        dict(batch_size=0),
        dict(pooling="median"),
    ],
)
def test_option_validation(bad):
    with pytest.raises(OptionError):
        ClassifyOptions(**bad)


def test_long_audio_gives_pooled_prediction_and_timeline(loaded):
    clf = loaded("ast")  # 1.0 s window
    audio = np.concatenate([tone(300, 2.0), noise(2.5, seed=1)])
    raw = clf.classify(audio, sample_rate=16000, top_k=None, merge=False)
    assert [(s.start_s, s.end_s) for s in raw.timeline] == [(0, 1), (1, 2), (2, 3), (3, 4), (3.5, 4.5)]
    windows = [
        clf.classify(Audio(audio, 16000).slice_s(a, b), top_k=None)
        for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (3.5, 4.5)]
    ]
    for segment, alone in zip(raw.timeline, windows):
        assert scores_of(segment.scores) == pytest.approx(scores_of(alone))
    mean = {lab: np.mean([next(s.score for s in w if s.label == lab) for w in windows]) for lab in clf.labels}
    assert {s.label: s.score for s in raw} == pytest.approx(mean)
    merged = clf.classify(audio, sample_rate=16000)
    assert merged.timeline.segments[0].start_s == 0 and merged.timeline.segments[-1].end_s == 4.5
    labels = [s.label for s in merged.timeline]
    assert all(a != b for a, b in zip(labels, labels[1:]))


def test_max_pooling_and_hop(loaded):
    clf = loaded("ast")
    p = clf.classify(noise(3.0), sample_rate=16000, window_s=1.0, hop_s=0.5, pooling="max", merge=False, top_k=None)
    assert len(p.timeline) == 5
    best = {lab: max(next(x.score for x in s.scores if x.label == lab) for s in p.timeline) for lab in clf.labels}
    assert {s.label: s.score for s in p} == pytest.approx(best)


def test_short_audio_has_no_timeline(loaded):
    p = loaded("ast").classify(noise(0.3), sample_rate=16000)
    assert len(p.timeline) == 0 and p.duration_s == pytest.approx(0.3)


def test_variable_length_models_window_only_past_30_s(loaded):
    clf = loaded("hubert")
    assert len(clf.classify(noise(12.0), sample_rate=16000).timeline) == 0
    assert len(clf.classify(noise(31.0), sample_rate=16000, merge=False).timeline) == 2


def test_batching_keeps_order_and_reports_progress(loaded):
    clf = loaded("ast")
    clips = [noise(0.5 + 0.1 * i, seed=i) for i in range(7)] + [noise(2.5, seed=9)]
    singles = [clf.classify(c, sample_rate=16000) for c in clips]
    seen = []
    batched = clf.classify_many(clips, sample_rate=16000, batch_size=3, progress=lambda d, t: seen.append((d, t)))
    assert [scores_of(p) for p in batched] == [pytest.approx(scores_of(s)) for s in singles]
    assert seen == [(i, 8) for i in range(1, 9)]


def test_one_model_call_per_batch(loaded, monkeypatch):
    clf = loaded("ast")
    calls = []
    original = clf.forward
    monkeypatch.setattr(clf, "forward", lambda clips: calls.append(len(clips)) or original(clips))
    clf.classify_many([noise(seed=i) for i in range(10)], sample_rate=16000, batch_size=4)
    assert calls == [4, 4, 2]


def test_stereo_and_other_rates_are_downmixed_and_resampled(loaded):
    clf = loaded("ast")
    mono16 = clf.classify(tone(500), sample_rate=16000, top_k=None)
    stereo = clf.classify(np.stack([tone(500), tone(500)]), sample_rate=16000, top_k=None)
    assert scores_of(stereo) == pytest.approx(scores_of(mono16))
    at44 = clf.classify(tone(500, rate=44100), sample_rate=44100, top_k=None)
    assert at44.label == mono16.label


def test_real_recordings_fsdd_8k_and_esc10_44k(loaded):
    clf = loaded("wav2vec2")
    fsdd = sorted(shared_path("data", "fsdd", "recordings").glob("*.wav"))[:3]
    esc = sorted(shared_path("data", "esc10").rglob("*.ogg"))[:2]
    predictions = clf.classify_many(fsdd + esc)
    assert [p.source for p in predictions] == [str(p) for p in fsdd + esc]
    assert all(len(p) == 4 and sum(s.score for s in p) == pytest.approx(1.0) for p in predictions)
    assert predictions[3].duration_s == pytest.approx(5.0, abs=0.05)


def test_nan_input_fails_before_the_model(loaded):
    with pytest.raises(earmark.AudioError, match="NaN"):
        loaded("ast").classify(np.full(1000, np.nan, np.float32), sample_rate=16000)


def test_batches_hold_at_most_batch_s_of_audio(loaded, monkeypatch):
    clf = loaded("hubert")
    calls = []
    original = clf.forward
    monkeypatch.setattr(clf, "forward", lambda clips: calls.append([len(c) / 16000 for c in clips]) or original(clips))
    clf.classify_many([noise(3.0, seed=i) for i in range(5)] + [noise(0.5)] * 2, sample_rate=16000, batch_s=7.0)
    # hubert pads without a mask: one length per call (length buckets), at most 7 s each
    assert calls == [[3.0, 3.0], [3.0, 3.0], [3.0], [0.5, 0.5]]


def test_equal_length_models_batch_length_buckets_in_input_order(loaded, monkeypatch):
    clf = loaded("wav2vec2")  # pads without an attention mask: batches of one length only
    assert clf.equal_length_batches
    lengths = [1.0, 0.6, 1.0, 0.6, 1.0, 0.6, 1.0, 0.6, 2.5]
    clips = [noise(s, seed=i) for i, s in enumerate(lengths)]
    clips.insert(4, np.full(8000, np.nan, np.float32))  # a bad input in the middle
    singles = [clf.classify(c, sample_rate=16000, top_k=None) for i, c in enumerate(clips) if i != 4]
    calls = []
    original = clf.forward
    monkeypatch.setattr(clf, "forward", lambda batch: calls.append([len(c) for c in batch]) or original(batch))
    results = clf.classify_many(clips, sample_rate=16000, batch_size=4, top_k=None, errors="yield")
    assert isinstance(results[4], earmark.Failure) and "NaN" in str(results[4].error)
    kept = [r for i, r in enumerate(results) if i != 4]
    assert [scores_of(p) for p in kept] == [pytest.approx(scores_of(s), abs=1e-5) for s in singles]
    assert all(len(set(batch)) == 1 for batch in calls)  # every model call holds one length
    assert sorted(len(b) for b in calls) == [1, 4, 4]  # 4 x 1 s and 4 x 0.6 s together, not 9 calls


def test_a_forward_that_fails_on_one_clip_of_eight_keeps_the_other_seven(loaded, monkeypatch):
    model = loaded("ast")
    original = model.forward
    poison = np.float32(0.123)

    def forward(clips):
        if any(np.isclose(c[0], poison) for c in clips):
            raise RuntimeError("the model broke on this clip")
        return original(clips)

    monkeypatch.setattr(model, "forward", forward)
    clips = [tone(200 + 50 * i) for i in range(8)]
    clips[5] = clips[5].copy()
    clips[5][0] = poison
    results = model.classify_many(clips, sample_rate=16000, errors="yield", batch_size=8)
    assert [type(r).__name__ for r in results] == ["Prediction"] * 5 + ["Failure"] + ["Prediction"] * 2
    assert results[5].error_type == "ModelError" and "the model broke on this clip" in results[5].error
    monkeypatch.undo()
    assert [r.to_list() for i, r in enumerate(results) if i != 5] == [
        model(c, sample_rate=16000).to_list() for i, c in enumerate(clips) if i != 5
    ]
