"""The sliding-window scorer streams any classifier: steps every hop, the same scores whatever the chunking."""

import numpy as np
import pytest

from earmark import OptionError
from earmark.frames import SlidingWindowScorer

from synthetic import noise, tone


def test_one_step_per_hop_whatever_the_chunking(loaded):
    audio = np.concatenate([tone(300, 1.0), noise(1.0)]).astype(np.float32)
    whole = SlidingWindowScorer(loaded("ast"), hop_s=0.25)
    rows = whole.push(audio)
    assert rows.shape == (8, len(whole.labels))
    chunked = SlidingWindowScorer(loaded("ast"), hop_s=0.25)
    pieces = [chunked.push(audio[i : i + 1234]) for i in range(0, len(audio), 1234)]
    np.testing.assert_allclose(np.concatenate(pieces), rows, atol=1e-6)


def test_reset_and_label_subsets(loaded):
    model = loaded("ast")
    scorer = SlidingWindowScorer(model, hop_s=0.5, labels=model.labels[:2])
    assert scorer.push(np.zeros(4000, np.float32)).shape == (0, 2)  # under one hop: no step yet
    assert scorer.push(np.zeros(4000, np.float32)).shape == (1, 2)
    scorer.reset()
    assert scorer.push(np.zeros(4000, np.float32)).shape == (0, 2)
    with pytest.raises(OptionError, match="not the model's"):
        SlidingWindowScorer(model, labels=["no-such-label"])
