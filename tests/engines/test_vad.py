"""Silero VAD on onnxruntime directly: the same probabilities and speech regions as the silero-vad package's
own torch-side code, on real recordings (speech, and a dog bark with none)."""

import numpy as np
import pytest

from earmark.audio import Audio
from earmark.engines.vad import VadOptions, silero_model, speech_spans
from earmark.io.decode import load_audio

from synthetic import shared_path


def _recordings() -> list[np.ndarray]:
    speech = sorted(shared_path("data", "multilingual").rglob("*.wav"))[:3]
    bark = sorted(shared_path("data", "esc10", "001 - Dog bark").glob("*.ogg"))[:1]
    words = [
        load_audio(str(p)).mono().resample(16000).samples
        for p in sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[:6]
    ]
    joined = np.concatenate([np.concatenate([w, np.zeros(8000, np.float32)]) for w in words])  # words and pauses
    return [load_audio(str(p)).mono().resample(16000).samples for p in [*speech, *bark]] + [joined]


@pytest.mark.parametrize("options", [VadOptions(), VadOptions(threshold=0.3, min_silence_s=0.1, pad_s=0.03)])
def test_speech_regions_equal_the_silero_package(options):
    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    model = load_silero_vad(onnx=True)
    for samples in _recordings():
        expected = get_speech_timestamps(
            torch.from_numpy(samples),
            model,
            sampling_rate=16000,
            threshold=options.threshold,
            min_speech_duration_ms=round(options.min_speech_s * 1000),
            min_silence_duration_ms=round(options.min_silence_s * 1000),
            speech_pad_ms=round(options.pad_s * 1000),
        )
        assert speech_spans(Audio(samples, 16000), options) == [(s["start"], s["end"]) for s in expected]


def test_frame_probabilities_equal_the_silero_package():
    import torch
    from silero_vad import load_silero_vad

    theirs = load_silero_vad(onnx=True)
    ours = silero_model(shared=False)
    samples = _recordings()[0]
    samples = samples[: 512 * min(200, len(samples) // 512)]
    theirs.reset_states()
    expected = [
        float(theirs(torch.from_numpy(samples[i : i + 512].copy()), 16000)) for i in range(0, len(samples), 512)
    ]
    np.testing.assert_allclose(ours.probabilities(samples), expected, atol=1e-6)


def test_a_recording_with_speech_has_regions_and_a_bark_has_none():
    speech, bark = _recordings()[0], _recordings()[3]
    assert speech_spans(Audio(speech, 16000)) and speech_spans(Audio(bark, 16000)) == []
