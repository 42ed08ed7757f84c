"""The batch queue: concurrent requests share one model call, a bad input fails alone, a full queue refuses."""

import threading

import numpy as np
import pytest

from earmark import Audio, AudioError
from earmark.options import ClassifyOptions
from earmark.server.batching import Batcher, QueueFull

from synthetic import tone


def test_requests_gathered_into_one_call_get_their_own_results(loaded):
    model, sizes = loaded("ast"), []
    batcher = Batcher(model, max_batch_size=4, max_wait_ms=200, observe=sizes.append)
    clips = [Audio(tone(200 + 100 * i), 16000) for i in range(4)]
    futures = [batcher.submit(c, ClassifyOptions(top_k=2)) for c in clips]
    results = [f.result(timeout=60) for f in futures]
    batcher.close()
    assert sizes == [4]
    for clip, result in zip(clips, results):  # a batch never changes a score (beyond float rounding)
        alone = model(clip, top_k=2)
        assert [s.label for s in result.scores] == [s.label for s in alone.scores]
        np.testing.assert_allclose([s.score for s in result.scores], [s.score for s in alone.scores], atol=1e-6)


def test_a_bad_input_fails_alone_with_its_own_error(loaded):
    batcher = Batcher(loaded("ast"), max_batch_size=2, max_wait_ms=200)
    good = batcher.submit(Audio(tone(), 16000), ClassifyOptions())
    bad = batcher.submit(Audio(tone(rate=500), 500), ClassifyOptions())  # a rate the model refuses
    assert good.result(timeout=60).label is not None
    with pytest.raises(AudioError, match="sample rate 500 Hz"):
        bad.result(timeout=60)
    batcher.close()


def test_a_full_queue_refuses_at_once(loaded):
    release = threading.Event()
    model = loaded("ast")
    batcher = Batcher(model, max_batch_size=1, max_wait_ms=0, max_queue=1)
    original = model.forward
    model.forward = lambda clips: release.wait(30) and original(clips)
    try:
        first = batcher.submit(Audio(tone(), 16000), ClassifyOptions())
        for _ in range(50):  # the worker takes the first; the queue then holds one more
            if batcher.queue.empty():
                break
            threading.Event().wait(0.01)
        batcher.submit(Audio(tone(), 16000), ClassifyOptions())
        with pytest.raises(QueueFull, match="is full"):
            batcher.submit(Audio(tone(), 16000), ClassifyOptions())
    finally:
        release.set()
        del model.forward
    assert first.result(timeout=60).label is not None
    batcher.close()
