"""Engine: the MLCommons Tiny keyword-spotting reference model (DS-CNN, TFLite) as a classifier.

Its front end, as re-implemented and checked against the model: 1 s of 16 kHz audio divided by its
peak; Hann window of 480 samples, hop 320, |rfft| with n_fft 512; 40 HTK mel bands 20-4000 Hz;
log(x + 1e-6); DCT-II (unnormalised) divided by sqrt(80); the first 10 coefficients of 49 frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..classifier import Classifier
from ..errors import ModelError
from ..options import LoadOptions
from .runtimes.tflite import tflite_interpreter

__all__ = ["KWS_LABELS", "TFLiteKWSClassifier", "load", "load_tflite"]

KWS_LABELS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "_silence_", "_unknown_")
SAMPLE_RATE = 16000
WINDOW, HOP, N_FFT = 480, 320, 512
MEL_BANDS, MEL_LOW_HZ, MEL_HIGH_HZ = 40, 20.0, 4000.0
COEFFICIENTS, FRAMES = 10, 49
INPUT_SHAPE = [1, FRAMES, COEFFICIENTS, 1]


class TFLiteKWSClassifier(Classifier):
    """12 Speech Commands classes from a 1 s window; quantized (int8) or float32 model."""

    engine = "mlcommons-kws"
    sample_rate = SAMPLE_RATE
    window_s = 1.0

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        from transformers.audio_utils import mel_filter_bank, window_function

        self.name = str(path)
        self.path = path
        self.interpreter = tflite_interpreter(path, threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.mel = mel_filter_bank(
            num_frequency_bins=N_FFT // 2 + 1,
            num_mel_filters=MEL_BANDS,
            min_frequency=MEL_LOW_HZ,
            max_frequency=MEL_HIGH_HZ,
            sampling_rate=SAMPLE_RATE,
            norm=None,
            mel_scale="htk",
        )
        self.window = window_function(WINDOW, "hann", periodic=True)

    @property
    def labels(self) -> tuple[str, ...]:
        return KWS_LABELS

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def features(self, clip: np.ndarray) -> np.ndarray:
        """MFCCs ``(49, 10)`` of one clip (padded or cut to 1 s)."""
        from scipy.fft import dct

        audio = np.zeros(SAMPLE_RATE, np.float64)
        audio[: min(len(clip), SAMPLE_RATE)] = clip[:SAMPLE_RATE]
        peak = np.abs(audio).max()
        if peak > 0:
            audio /= peak
        frames = np.lib.stride_tricks.sliding_window_view(audio, WINDOW)[::HOP][:FRAMES] * self.window
        magnitude = np.abs(np.fft.rfft(frames, n=N_FFT))
        log_mel = np.log(magnitude @ self.mel + 1e-6)
        return dct(log_mel, type=2, axis=-1, norm=None)[:, :COEFFICIENTS] / np.sqrt(80.0)

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty((len(clips), len(KWS_LABELS)), np.float32)
        for i, clip in enumerate(clips):
            x = self.features(clip).reshape(INPUT_SHAPE)
            scale, zero = self.input["quantization"]
            if self.input["dtype"] == np.int8:
                x = np.clip(np.round(x / scale + zero), -128, 127)
            self.interpreter.set_tensor(self.input["index"], x.astype(self.input["dtype"]))
            self.interpreter.invoke()
            y = self.interpreter.get_tensor(self.output["index"]).astype(np.float32).reshape(-1)
            scale, zero = self.output["quantization"]
            probs = (y - zero) * scale if self.output["dtype"] == np.int8 else y
            out[i] = np.log(np.maximum(probs, 1e-9))  # the model outputs softmax probabilities
        return out


def load_tflite(path: str | Path, *, threads: int = 1) -> Classifier:
    """A TFLite audio classifier earmark knows the front end of (today: MLCommons Tiny KWS)."""
    path = Path(path)
    shape = tflite_interpreter(path).get_input_details()[0]["shape"].tolist()
    if shape != INPUT_SHAPE:
        raise ModelError(
            f"{path}: TFLite input shape {shape} is not one earmark knows; supported: the MLCommons Tiny "
            f"keyword-spotting model ({INPUT_SHAPE} MFCCs)"
        )
    return TFLiteKWSClassifier(path, threads=threads)


def load(ref: str, options: LoadOptions | None = None) -> Classifier:
    """The mlcommons-kws engine's loader: a ``.tflite`` file."""
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ModelError(f"model {ref!r}: no such file")
    return load_tflite(path, threads=(options.threads if options else None) or 1)
