"""The transformers engine matches transformers.pipeline, for every architecture."""

import numpy as np
import pytest
import transformers

from synthetic import noise, tone

ENGINES = [("ast", {}), ("wav2vec2", {}), ("wav2vec2", {"attention_mask": True}), ("hubert", {}), ("whisper", {})]


def reference(model_dir, audio: np.ndarray, **kwargs):
    pipe = transformers.pipeline("audio-classification", model=str(model_dir), device="cpu")
    return pipe(audio, top_k=None, **kwargs)


def assert_same(ours, theirs, tol=1e-4):
    assert [x["label"] for x in ours] == [x["label"] for x in theirs]
    np.testing.assert_allclose([x["score"] for x in ours], [x["score"] for x in theirs], atol=tol)


@pytest.mark.parametrize(("kind", "kwargs"), ENGINES)
def test_scores_match_transformers_pipeline(kind, kwargs, model_dir, loaded):
    audio = noise(0.8, seed=7) + tone(300, 0.8)
    ours = loaded(kind, **kwargs).classify(audio, sample_rate=16000, top_k=None)
    assert_same(ours.to_list(), reference(model_dir(kind, **kwargs), audio))


@pytest.mark.parametrize(("kind", "kwargs"), ENGINES)
def test_batch_of_mixed_lengths_matches_one_by_one(kind, kwargs, loaded):
    clf = loaded(kind, **kwargs)
    clips = [noise(s, seed=i) for i, s in enumerate([0.5, 0.9, 0.5, 0.7, 0.9])]
    one_by_one = [clf.classify(c, sample_rate=16000, top_k=None).to_list() for c in clips]
    batched = clf.classify_many(clips, sample_rate=16000, top_k=None, batch_size=4)
    for ours, single in zip(batched, one_by_one):
        assert_same(ours.to_list(), single)


def test_multi_label_model_uses_sigmoid(model_dir):
    import earmark

    clf = earmark.load(model_dir("ast", multi_label=True))
    prediction = clf.classify(noise(), sample_rate=16000, top_k=None)
    assert sum(s.score for s in prediction) > 1.01  # independent sigmoids, not a distribution
    assert_same(prediction.to_list(), reference(model_dir("ast", multi_label=True), noise()))


def test_function_to_apply_none_returns_logits(model_dir, loaded):
    audio = noise(seed=3)
    ours = loaded("ast").classify(audio, sample_rate=16000, top_k=None, function_to_apply="none")
    assert_same(ours.to_list(), reference(model_dir("ast"), audio, function_to_apply="none"))


def test_window_comes_from_the_feature_extractor(loaded):
    assert loaded("ast").window_s == pytest.approx(1.0)
    assert loaded("whisper").window_s == pytest.approx(30.0)
    assert loaded("wav2vec2").window_s is None
    assert loaded("ast").labels == ("yes", "no", "up", "down")


def test_fast_ast_filterbank_equals_transformers(tmp_path):
    import pickle

    from transformers import ASTFeatureExtractor

    from earmark.engines.extractors import fast_extractor, fixed_window_s

    rng = np.random.default_rng(0)
    for max_length, length in ((128, 16000), (1024, 160000), (1024, 8000), (128, 30000), (1024, 300)):
        clips = [(0.3 * rng.standard_normal(length)).astype(np.float32) for _ in range(2)]
        stock = ASTFeatureExtractor(max_length=max_length)
        fast = fast_extractor(ASTFeatureExtractor(max_length=max_length))
        assert type(fast).__name__ == "FastASTFeatureExtractor" and fixed_window_s(fast) == fixed_window_s(stock)
        want = stock(clips, sampling_rate=16000, return_tensors="np")["input_values"]
        got = fast(clips, sampling_rate=16000, return_tensors="np")["input_values"]
        np.testing.assert_array_equal(got, want)
    assert type(pickle.loads(pickle.dumps(fast))) is type(fast)
    fast.save_pretrained(tmp_path)  # saved as the stock extractor
    assert type(ASTFeatureExtractor.from_pretrained(tmp_path)) is ASTFeatureExtractor
