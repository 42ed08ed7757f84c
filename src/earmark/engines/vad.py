"""Speech regions with Silero VAD: the ``silero-vad`` package's ONNX model run on onnxruntime directly
(the package itself imports torch; earmark only reads its model file), and its speech-timestamp rules
in NumPy (tested equal to ``silero_vad.get_speech_timestamps`` on real recordings)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..audio import Audio
from ..errors import missing_extra

__all__ = ["VAD_SAMPLE_RATE", "SileroVad", "VadOptions", "silero_model", "speech_spans"]

VAD_SAMPLE_RATE = 16000
FRAME = 512  # 32 ms: the 16 kHz model's chunk
CONTEXT = 64  # samples of the previous chunk the model sees with each one


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5
    """Speech probability above which a 32 ms frame counts as speech."""
    min_speech_s: float = 0.25
    """Shorter bursts are not speech."""
    min_silence_s: float = 0.3
    """Shorter pauses do not split speech."""
    pad_s: float = 0.1
    """Padding kept around each speech region."""


def silero_onnx() -> Path:
    """The ONNX model file inside the installed ``silero-vad`` package (found without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx" if spec else None
    if path is None or not path.is_file():
        raise missing_extra(
            "silero-vad", "whisper", "voice activity detection", install="pip install --no-deps 'silero-vad>=5'"
        )
    return path


class SileroVad:
    """Silero VAD on onnxruntime: ``__call__(frame)`` -> the speech probability of one 512-sample frame,
    with the recurrent state and context carried from the frame before."""

    def __init__(self) -> None:
        from .runtimes.onnx import session

        self.session = session(silero_onnx(), threads=1)
        self.reset_states()

    def reset_states(self) -> None:
        self.state = np.zeros((2, 1, 128), np.float32)
        self.context = np.zeros((1, CONTEXT), np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        x = np.concatenate([self.context, np.asarray(frame, np.float32).reshape(1, FRAME)], axis=1)
        out, self.state = self.session.run(None, {"input": x, "state": self.state, "sr": np.array(16000, np.int64)})
        self.context = x[:, -CONTEXT:]
        return float(out[0, 0])

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """One probability per 512-sample frame of 16 kHz audio (the last frame zero-padded), from a fresh state."""
        self.reset_states()
        count = -(-len(samples) // FRAME)
        padded = np.zeros(count * FRAME, np.float32)
        padded[: len(samples)] = samples
        return np.array([self(padded[i * FRAME : (i + 1) * FRAME]) for i in range(count)], np.float32)


def silero_model(*, shared: bool = True) -> SileroVad:
    """Silero VAD: one shared per process (for whole files), or a new one (a stream's, whose recurrent
    state must not mix with another's)."""
    return _shared_model() if shared else SileroVad()


@cache
def _shared_model() -> SileroVad:
    return SileroVad()


def speech_spans(audio: Audio, options: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Frame ranges ``[start, end)`` of speech, at 16 kHz (audio at another rate or with more channels is
    downmixed and resampled first)."""
    if audio.sample_rate != VAD_SAMPLE_RATE or audio.num_channels != 1:
        audio = audio.mono().resample(VAD_SAMPLE_RATE)
    probs = silero_model().probabilities(np.ascontiguousarray(audio.samples, np.float32))
    return spans_from_probabilities(probs, len(audio.samples), options)


def spans_from_probabilities(probs: np.ndarray, length: int, options: VadOptions) -> list[tuple[int, int]]:
    """Silero's rules (no maximum speech length): speech starts at a frame >= threshold, ends after
    ``min_silence_s`` below threshold - 0.15; bursts under ``min_speech_s`` are dropped; each region is
    padded by ``pad_s``, halving the gap where two regions' padding would meet."""
    rate = VAD_SAMPLE_RATE
    min_speech, min_silence, pad = options.min_speech_s * rate, options.min_silence_s * rate, options.pad_s * rate
    low = max(options.threshold - 0.15, 0.01)
    spans: list[list[int]] = []
    start, silence_from = None, 0
    for i, p in enumerate(probs):
        here = FRAME * i
        if p >= options.threshold:
            silence_from = 0
            if start is None:
                start = here
                continue
        if start is not None and p < low:
            silence_from = silence_from or here
            if here - silence_from >= min_silence:
                if silence_from - start > min_speech:
                    spans.append([start, silence_from])
                start, silence_from = None, 0
    if start is not None and length - start > min_speech:
        spans.append([start, length])
    return _padded(spans, length, pad)


def _padded(spans: list[list[int]], length: int, pad: float) -> list[tuple[int, int]]:
    for i, span in enumerate(spans):
        if i == 0:
            span[0] = int(max(0, span[0] - pad))
        if i == len(spans) - 1:
            span[1] = int(min(length, span[1] + pad))
            continue
        gap = spans[i + 1][0] - span[1]
        if gap < 2 * pad:
            span[1] += int(gap // 2)
            spans[i + 1][0] = int(max(0, spans[i + 1][0] - gap // 2))
        else:
            span[1] = int(min(length, span[1] + pad))
            spans[i + 1][0] = int(max(0, spans[i + 1][0] - pad))
    return [(a, b) for a, b in spans]
