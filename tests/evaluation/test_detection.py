"""The false-accept curve: frames recorded once and replayed through the Listener's trigger give the
events listen fires at each threshold; thresholds to a false-accept target on real recordings."""

import numpy as np
import pytest
import soundfile as sf

from earmark import load_audio
from earmark.calibration import Target
from earmark.evaluation.detection import RecordingListener, calibrate_streams, replay
from earmark.io.labelled import LabelledClip
from earmark.io.streams import file_chunks
from earmark.streaming import StreamOptions, listener
from earmark.streaming.models import scorers_for

from synthetic import shared_path


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    """Twelve alexa recordings joined with pauses, and the 45 s stream of other keywords."""
    words = shared_path("data", "wakewords")
    parts = []
    for path in sorted((words / "alexa").glob("*.flac"))[:12]:
        parts += [load_audio(path).mono().resample(16000).samples, np.zeros(8000, np.float32)]
    joined = tmp_path_factory.mktemp("det") / "alexas.wav"
    sf.write(joined, np.concatenate(parts), 16000)
    return [str(joined), str(words / "multiple_keywords.wav")]


@pytest.mark.parametrize("vad, patience", [(None, 1), (0.5, 1), (0.5, 2)])
def test_replayed_events_are_the_events_listen_fires(streams, vad, patience):
    options = StreamOptions(vad_threshold=vad, patience=patience)
    recorder = RecordingListener(scorers_for(["wake-word/alexa"]), options)
    records = [recorder.stream(file_chunks(path)) for path in streams]
    for threshold in (0.001, 0.05, 0.5, 0.95):
        live = listener(["wake-word/alexa"], StreamOptions(threshold=threshold, vad_threshold=vad, patience=patience))
        for path, record in zip(streams, records):
            live.reset()
            direct = live.listen(file_chunks(path))
            replayed = replay(record[0], "alexa", threshold, options)
            assert [(e.label, round(e.end_s, 3), round(e.score, 5)) for e in replayed] == [
                (e.label, round(e.end_s, 3), round(e.score, 5)) for e in direct
            ]


def test_a_false_accept_target_on_real_recordings(streams):
    words = shared_path("data", "wakewords")
    negatives = sorted(str(p) for w in ("computer", "jarvis") for p in (words / w).glob("*.wav"))[:60]
    negatives.append(streams[1])
    positives = [LabelledClip(str(p), "alexa") for p in sorted((words / "alexa").glob("*.flac"))[12:30]]
    options = StreamOptions(vad_threshold=0.5)
    result = calibrate_streams(["wake-word/alexa"], positives, negatives, Target("fa-per-hour", 40.0), options)
    (alexa,) = result.classes
    hours = result.negatives_hours
    assert alexa.threshold is not None and alexa.fa_per_hour <= 40 and alexa.positives == 18
    assert alexa.interval[0] <= alexa.fa_per_hour <= alexa.interval[1]
    live = listener(["wake-word/alexa"], StreamOptions(threshold=alexa.threshold, vad_threshold=0.5))
    fired = 0
    for path in negatives:
        live.reset()
        fired += len(live.listen(file_chunks(path)))
    assert fired / hours == pytest.approx(alexa.fa_per_hour)  # the curve's count is listen's count
    det = result.extra["det"]["alexa"]
    assert det["hours"] == pytest.approx(hours) and len(det["threshold"]) == len(det["miss_rate"])
    strict = calibrate_streams(["wake-word/alexa"], positives, negatives, Target("fa-per-hour", 0.5), options)
    assert strict.thresholds == {} and "cannot show fa-per-hour=0.5" in strict.classes[0].reason
