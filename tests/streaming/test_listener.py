"""The streaming Listener: thresholds, patience, refractory time, chunking, rates, resets."""

import numpy as np
import pytest

from earmark import AudioError, OptionError
from earmark.streaming import Event, Listener, StreamOptions

from synthetic import tone

FRAME = 160  # 10 ms at 16 kHz


class LoudnessScorer:
    """A real, tiny frame scorer for the tests: peak amplitude of each 10 ms frame."""

    labels = ("loud",)
    step_s = 0.01
    context_s = 0.01
    thresholds = {"loud": 0.5}

    def reset(self):
        self.pending = np.zeros(0, np.float32)

    def push(self, samples):
        self.pending = np.concatenate([self.pending, samples])
        n = len(self.pending) // FRAME
        frames, self.pending = self.pending[: n * FRAME].reshape(n, FRAME), self.pending[n * FRAME :]
        return np.abs(frames).max(axis=1, keepdims=True) if n else np.zeros((0, 1), np.float32)


def bursts(*spans, total_s=6.0, amplitude=0.9):
    x = np.zeros(int(total_s * 16000), np.float32)
    for start, end in spans:
        x[int(start * 16000) : int(end * 16000)] = amplitude
    return x


def events_of(listener, audio, chunk, rate=16000):
    listener.reset()
    chunks = [audio[i : i + chunk] for i in range(0, len(audio), chunk)]
    return listener.listen(chunks, rate)


def test_threshold_patience_and_refractory():
    audio = bursts((1.0, 1.05), (1.5, 1.6), (4.0, 4.2))
    events = Listener([LoudnessScorer()], StreamOptions(refractory_s=2.0)).listen([audio], 16000)
    assert [round(e.end_s, 2) for e in events] == [1.01, 4.01]  # 1.5 s falls in the refractory time
    patient = Listener([LoudnessScorer()], StreamOptions(patience=8, refractory_s=0.5)).listen([audio], 16000)
    assert [round(e.end_s, 2) for e in patient] == [1.58, 4.08]  # the 50 ms burst is too short for 8 frames
    eager = Listener([LoudnessScorer()], StreamOptions(patience=8, refractory_s=0.0)).listen([audio], 16000)
    assert [round(e.end_s, 2) for e in eager] == [1.58, 4.08]  # no debounce, but one event per burst
    two = bursts((4.0, 4.2), (4.3, 4.5))  # the score drops between them: re-armed
    rearmed = Listener([LoudnessScorer()], StreamOptions(patience=8, refractory_s=0.0)).listen([two], 16000)
    assert [round(e.end_s, 2) for e in rearmed] == [4.08, 4.38]
    assert all(isinstance(e, Event) and e.label == "loud" and e.score == pytest.approx(0.9) for e in events)
    strict = Listener([LoudnessScorer()], StreamOptions(threshold={"loud": 0.95})).listen([audio], 16000)
    assert strict == []


@pytest.mark.parametrize("chunk", [1, 160, 1280, 16000, 96000])
def test_same_events_whatever_the_chunk_size(chunk):
    audio = bursts((0.5, 0.7), (3.0, 3.3))
    listener = Listener([LoudnessScorer()], StreamOptions(refractory_s=0.5))
    assert events_of(listener, audio, chunk) == events_of(listener, audio, len(audio))


def test_other_rates_and_stereo():
    audio = bursts((1.0, 1.3), amplitude=0.9)
    listener = Listener([LoudnessScorer()])
    at16 = events_of(listener, audio, 1600)
    for rate in (8000, 44100):
        import soxr

        resampled = soxr.resample(audio, 16000, rate)
        events = events_of(listener, resampled, rate // 10, rate=rate)
        assert len(events) == 1 and events[0].end_s == pytest.approx(at16[0].end_s, abs=0.02)
    stereo = np.stack([audio, audio])
    listener.reset()
    assert listener.listen([stereo], 16000) == at16


def test_silence_and_errors():
    listener = Listener([LoudnessScorer()])
    assert listener.listen([np.zeros(32000, np.float32)], 16000) == []
    listener.reset()
    listener.push(tone(), 16000)
    with pytest.raises(AudioError, match="changed sample rate"):
        listener.push(tone(rate=8000), 8000)
    with pytest.raises(AudioError, match="without a sample rate"):
        listener.push(tone())
    with pytest.raises(OptionError):
        StreamOptions(threshold=2.0)
    with pytest.raises(OptionError, match="unknown labels"):
        Listener([LoudnessScorer()], StreamOptions(threshold={"quiet": 0.1}))
    with pytest.raises(OptionError, match="at least one"):
        Listener([])
