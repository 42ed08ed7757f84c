"""The Silero VAD gate of a stream: speech probabilities of the last seconds, so an event fires only
where speech was heard."""

from __future__ import annotations

import numpy as np

from ..engines.vad import VAD_SAMPLE_RATE, silero_model

__all__ = ["VadGate"]


class VadGate:
    """Silero VAD over the stream in exact 32 ms frames; remembers recent speech probabilities."""

    FRAME = 512
    KEEP_S = 10.0

    def __init__(self) -> None:
        self.model = silero_model(shared=False)  # its recurrent state is this stream's alone
        self.model.reset_states()
        self.pending = np.zeros(0, np.float32)
        self.probs: list[float] = []
        self.dropped = 0  # frames no longer kept (older than KEEP_S)

    def push(self, samples: np.ndarray) -> None:
        self.pending = np.concatenate([self.pending, samples])
        while len(self.pending) >= self.FRAME:
            frame, self.pending = self.pending[: self.FRAME], self.pending[self.FRAME :]
            self.probs.append(self.model(frame))
        keep = int(self.KEEP_S * VAD_SAMPLE_RATE / self.FRAME)
        if len(self.probs) > 2 * keep:
            self.dropped += len(self.probs) - keep
            self.probs = self.probs[-keep:]

    def speech(self, start_s: float, end_s: float) -> float:
        """The highest speech probability of the frames between two stream times."""
        frame_s = self.FRAME / VAD_SAMPLE_RATE
        a = max(0, int(start_s / frame_s) - self.dropped)
        b = max(a + 1, int(np.ceil(end_s / frame_s)) - self.dropped)
        window = self.probs[a:b]
        return max(window) if window else 0.0
