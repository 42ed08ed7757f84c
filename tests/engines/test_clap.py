"""Zero-shot CLAP: matches transformers' zero-shot pipeline; text embeddings computed once."""

import numpy as np
import pytest
import soxr
import transformers

import earmark

from synthetic import noise, tone

LABELS = ["dog barking", "rain", "a bell"]


@pytest.fixture(scope="module")
def clap(model_dir):
    return earmark.load(model_dir("clap"), labels=LABELS)


def test_scores_match_transformers_zero_shot_pipeline(clap, model_dir):
    audio16k = tone(500, 2.0) + noise(2.0, seed=5)
    pipe = transformers.pipeline("zero-shot-audio-classification", model=str(model_dir("clap")), device="cpu")
    # transformers does not resample: it gets the 48 kHz version earmark makes from the same 16 kHz input.
    theirs = pipe(soxr.resample(audio16k, 16000, 48000, quality="HQ"), candidate_labels=LABELS)
    ours = clap.classify(audio16k, sample_rate=16000, top_k=None).to_list()
    assert [x["label"] for x in ours] == [x["label"] for x in theirs]
    np.testing.assert_allclose([x["score"] for x in ours], [x["score"] for x in theirs], atol=1e-4)


def test_text_embeddings_are_computed_once_per_label_set(clap, monkeypatch):
    calls = []
    original = clap.model.get_text_features
    monkeypatch.setattr(clap.model, "get_text_features", lambda **kw: calls.append(1) or original(**kw))
    other = clap.with_labels(["x", "y"])
    for _ in range(3):
        clap.classify(noise(), sample_rate=16000)
        other.classify(noise(), sample_rate=16000)
    assert len(calls) <= 2  # at most once per label set, never per call
    assert other.model is clap.model


def test_template_changes_scores(clap):
    a = clap.classify(noise(), sample_rate=16000, top_k=None)
    b = clap.with_labels(LABELS, "a recording of {}").classify(noise(), sample_rate=16000, top_k=None)
    assert {s.label: s.score for s in a} != pytest.approx({s.label: s.score for s in b}, abs=1e-6)


def test_without_labels_is_a_clear_error(model_dir):
    clf = earmark.load(model_dir("clap"))
    with pytest.raises(earmark.OptionError, match="has no labels"):
        clf.classify(noise(), sample_rate=16000)


@pytest.mark.parametrize(
    ("labels", "template", "message"),
    [
        ([], None, "one or more"),
        (["a", "a"], None, "repeat"),
        (["a", " "], None, "non-empty"),
        (["a"], "no slot", "{}"),
    ],
)
def test_bad_labels(clap, labels, template, message):
    with pytest.raises(earmark.OptionError, match=message):
        clap.with_labels(labels, template)


def test_long_audio_is_windowed_at_ten_seconds(clap):
    prediction = clap.classify(noise(25.0, rate=16000), sample_rate=16000, merge=False)
    assert clap.window_s == pytest.approx(10.0)
    assert [(round(s.start_s), round(s.end_s)) for s in prediction.timeline] == [(0, 10), (10, 20), (15, 25)]
