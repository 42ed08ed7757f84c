"""Frozen pretrained encoders that turn a clip into frame vectors, for training heads.

- ``openwakeword``: Google's speech embedding from openWakeWord's front end (96-d every 80 ms);
- ``whisper-base``: the offline Whisper base encoder (CTranslate2), 512-d every 20 ms of audio;
- ``birdnet``: BirdNET V2.4's 1,024-d embedding of each 3 s window (48 kHz; non-commercial licence);
- ``musicnn``: musicnn's (MagnaTagATune) 200-d penultimate features of each ~3 s patch (16 kHz);
- any transformers audio encoder, by Hub id or local folder: wav2vec2, HuBERT, WavLM, AST, the
  Whisper encoder (last hidden state), and CLAP's audio tower (one projected vector per clip).

Names joined with ``+`` (``openwakeword+whisper-base``) run each encoder and join their frames
side by side (the coarser ones repeated to the finer one's frame count).

``frames(audio)`` gives ``(T, D)``; ``embed(audio)`` pools them by mean and standard deviation
(``2 D``), so clips of any length give one vector.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ..audio import Audio
from ..errors import OptionError
from ..hub import check_local, pretrained
from .wakeword.openwakeword import SAMPLE_RATE as OPENWAKEWORD_RATE
from .whisper.lid import SAMPLE_RATE as WHISPER_RATE

__all__ = ["ENCODERS", "Encoder", "FrameStream", "load_encoder", "stats_pool"]

MIN_FRAMES = 100  # Whisper encoder input frames (1 s) at the least
DEFAULT_WINDOW_S = 2.0


def stats_pool(frames: np.ndarray) -> np.ndarray:
    """Mean and standard deviation over time: ``(T, D)`` -> ``(2 D,)``."""
    frames = np.asarray(frames, np.float32)
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)]).astype(np.float32)


class FrameStream(Protocol):
    """An encoder's frames computed as audio streams in (16 kHz), whatever the chunking."""

    frame_s: float

    def reset(self) -> object: ...

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Frames ``(new_frames, D)`` completed by these samples."""


class Encoder:
    """``frames(audio)`` -> ``(T, D)`` float32; ``name`` identifies it in a saved model."""

    name: str
    sample_rate: int

    def frames(self, audio: Audio) -> np.ndarray:
        raise NotImplementedError

    def frame_stream(self) -> FrameStream | None:
        """The encoder as a new stream of frames (its own state), for encoders that can (openWakeWord); else None."""
        return None

    def embed(self, audio: Audio) -> np.ndarray:
        return stats_pool(self.frames(audio))

    @property
    def window_s(self) -> float:
        """The window an index embeds by default: the encoder's own input length, at most 5 s."""
        return DEFAULT_WINDOW_S

    def window_stats(self, clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Each window's frames (samples at :attr:`sample_rate`) pooled: mean and standard deviation,
        each ``(len(clips), D)``."""
        pooled = [self.frames(Audio(clip, self.sample_rate)) for clip in clips]
        return np.stack([f.mean(axis=0) for f in pooled]), np.stack([f.std(axis=0) for f in pooled])


class OpenWakeWordEncoder(Encoder):
    name = "openwakeword"
    sample_rate = OPENWAKEWORD_RATE
    window_s = 1.0  # a word

    def __init__(self, threads: int | None = None) -> None:
        from .wakeword.openwakeword import OpenWakeWordFrontEnd

        self.threads = threads or 2  # the front end's own default
        self.front = OpenWakeWordFrontEnd(threads=self.threads)

    def frames(self, audio: Audio) -> np.ndarray:
        samples = audio.mono().resample(self.sample_rate).samples
        pad = np.zeros(self.sample_rate // 2, np.float32)  # half a second either side, so short words get frames
        self.front.reset()
        return self.front.push(np.concatenate([pad, samples, pad]))

    def frame_stream(self) -> FrameStream:
        """A new front end: each stream keeps its own state."""
        from .wakeword.openwakeword import OpenWakeWordFrontEnd

        return OpenWakeWordFrontEnd(threads=self.threads)


class WhisperEncoder(Encoder):
    name = "whisper-base"
    sample_rate = WHISPER_RATE

    def __init__(self, threads: int | None = None) -> None:
        import ctranslate2

        from .frontends import whisper_frontend
        from .whisper.weights import whisper_base_ct2

        self.model = ctranslate2.models.Whisper(
            str(whisper_base_ct2()), device="cpu", compute_type="float32", intra_threads=threads or 0
        )
        self.storage = ctranslate2.StorageView
        self.features = whisper_frontend(80)

    def frames(self, audio: Audio) -> np.ndarray:
        from .whisper.lid import encoded_frames, mel_features

        samples = audio.mono().resample(self.sample_rate).samples[: 30 * self.sample_rate]
        frames = encoded_frames(len(samples), MIN_FRAMES)  # only the audio that is there
        encoded = np.array(self.model.encode(self.storage.from_array(mel_features(self.features, [samples], frames))))
        return encoded[0, : max(1, math.ceil(len(samples) / 320))]  # encoder frames holding audio


class TransformersEncoder(Encoder):
    """The last hidden state of a transformers audio model (its encoder, for Whisper); CLAP's
    projected audio embedding. ``engine="onnx"`` runs the network on ONNX Runtime (exported once,
    float32 or ``compute_type="int8"``); frames are the same either way, to float precision."""

    def __init__(
        self,
        name: str,
        *,
        revision: str | None = None,
        engine: str = "transformers",
        compute_type: str = "float32",
        threads: int | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoFeatureExtractor

        from .extractors import fast_extractor

        check_local(name)
        self.name = name
        self.engine, self.compute_type = engine, compute_type
        config = pretrained(AutoConfig, name, "config", revision=revision)
        self.extractor = fast_extractor(pretrained(AutoFeatureExtractor, name, "feature extractor", revision=revision))
        self.kind = config.model_type
        self.sample_rate = int(self.extractor.sampling_rate)
        self.model = self.runner = None
        if engine == "onnx":
            self.runner = self._export(config, revision, compute_type, threads)
        elif engine == "transformers":
            if compute_type != "float32":
                raise OptionError(f"compute_type={compute_type!r} needs engine='onnx' for encoder {name!r}")
            self.model = self._network(revision).eval()
        else:
            raise OptionError(f"encoder engine {engine!r} is not allowed; use 'transformers' or 'onnx'")

    def _network(self, revision: str | None, **kwargs) -> Any:
        from transformers import AutoModel, ClapModel
        from transformers.utils import logging

        # A classification checkpoint's head is dropped on purpose: its load report is noise here.
        level = logging.get_verbosity()
        logging.set_verbosity_error()
        try:
            model = pretrained(
                ClapModel if self.kind == "clap" else AutoModel, self.name, "weights", revision=revision, **kwargs
            )
        finally:
            logging.set_verbosity(level)
        return model.get_encoder() if self.kind == "whisper" else model  # only Whisper's encoder is used

    def _export(self, config: Any, revision: str | None, compute_type: str, threads: int | None) -> Any:
        from .extractors import fixed_window_s
        from .onnx_export import Network, OnnxRunner, audio_tower, export_cached

        if self.kind == "clap":
            return audio_tower(self.name, config, self.extractor, {"revision": revision}, compute_type, threads)

        def network() -> Network:
            return Network(
                build=lambda eager: self._network(revision, **({"attn_implementation": "eager"} if eager else {})),
                call=lambda module, inputs: module(**inputs).last_hidden_state,
                features=self._features,
                sample_rate=self.sample_rate,
                window_s=fixed_window_s(self.extractor),
                output="hidden",
            )

        return OnnxRunner(export_cached(self.name, config, compute_type, network, part="encoder"), threads=threads)

    @property
    def window_s(self) -> float:
        """The extractor's fixed input length (CLAP 10 s, AST 10.24 s, Whisper 30 s) at most 5 s, else 2 s."""
        from .extractors import fixed_window_s

        return min(fixed_window_s(self.extractor) or DEFAULT_WINDOW_S, 5.0)

    def _features(self, clips: list[np.ndarray], tensors: str) -> Any:
        return self.extractor(clips, sampling_rate=self.sample_rate, return_tensors=tensors)

    def frames(self, audio: Audio) -> np.ndarray:
        samples = audio.mono().resample(self.sample_rate).samples
        if self.runner is not None:
            hidden = self.runner.run(self._features([samples], "np"))[0]
        else:
            import torch

            inputs = self._features([samples], "pt")
            with torch.inference_mode():
                if self.kind == "clap":
                    return self.model.get_audio_features(**inputs).pooler_output.float().numpy()
                hidden = self.model(**inputs).last_hidden_state[0].float().numpy()
        if self.kind == "clap":
            return hidden[None]
        if self.kind == "whisper":  # 30 s of input; keep the frames (20 ms each) that hold audio
            hidden = hidden[: max(1, math.ceil(len(samples) / self.sample_rate / 0.02))]
        return hidden


class WindowEncoder(Encoder):
    """A built-in classifier's per-window features (BirdNET's embedding, musicnn's penultimate layer)."""

    def __init__(self, name: str, model: object, features: Callable[[list[np.ndarray]], np.ndarray]) -> None:
        self.name, self.model, self.features = name, model, features
        self.sample_rate = model.sample_rate

    @property
    def window_s(self) -> float:
        return float(self.model.window_s)

    def window_stats(self, clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Windows of the model's own length (shorter ones zero-padded, as its plan pads a file's end)
        run as one batch: one frame each, so the standard deviation is zero."""
        size = round(self.window_s * self.sample_rate)
        if any(len(c) > size for c in clips):
            return super().window_stats(clips)
        batch = [c if len(c) == size else np.pad(c, (0, size - len(c))) for c in clips]
        mean = np.asarray(self.features(batch), np.float32)
        return mean, np.zeros_like(mean)

    def frames(self, audio: Audio) -> np.ndarray:
        from ..options import ClassifyOptions

        clips = [clip for _, clip in self.model.clips(self.model.prepare(audio), ClassifyOptions())]
        return np.asarray(self.features(clips), np.float32)


def _birdnet(threads: int | None = None) -> Encoder:
    from .birdnet import BirdNETClassifier

    model = BirdNETClassifier(threads=threads)
    return WindowEncoder("birdnet", model, lambda clips: model.logits(clips, embeddings=True))


def _musicnn(threads: int | None = None) -> Encoder:
    from ..threads import set_torch_threads
    from .musicnn import MusicnnClassifier

    set_torch_threads(threads)
    model = MusicnnClassifier("musicnn-mtt")
    return WindowEncoder("musicnn", model, lambda clips: model.run(clips)["penultimate"])


class JoinedEncoder(Encoder):
    """Several encoders side by side: each one's frames, repeated to the largest frame count, joined."""

    def __init__(self, parts: list[Encoder]) -> None:
        self.parts = parts
        self.name = "+".join(p.name for p in parts)
        self.sample_rate = max(p.sample_rate for p in parts)  # each part resamples to its own rate

    def frames(self, audio: Audio) -> np.ndarray:
        each = [p.frames(audio) for p in self.parts]
        count = max(len(f) for f in each)
        return np.hstack([f[(np.arange(count) * len(f)) // count] for f in each])


# The built-in encoders by name; any other name is a transformers model (Hub id or folder).
ENCODERS: dict[str, Callable[[int | None], Encoder]] = {
    OpenWakeWordEncoder.name: OpenWakeWordEncoder,
    WhisperEncoder.name: WhisperEncoder,
    "birdnet": _birdnet,
    "musicnn": _musicnn,
}


def load_encoder(
    name: str,
    *,
    revision: str | None = None,
    engine: str = "transformers",
    compute_type: str = "float32",
    threads: int | None = None,
) -> Encoder:
    """A built-in encoder (``openwakeword``, ``whisper-base``, ``birdnet``, ``musicnn``), any transformers
    audio model, or several of them joined with ``+``. ``engine="onnx"`` (with ``compute_type``
    ``float32`` or ``int8``) runs transformers encoders on ONNX Runtime; the built-in ones have their
    own runtimes (ONNX/TFLite/CTranslate2/torch) and refuse it."""
    if not name or not all(part.strip() for part in name.split("+")):
        raise OptionError(f"encoder {name!r} is not allowed; use {', '.join(ENCODERS)}, a Hub id or a folder")
    runtime = {"engine": engine, "compute_type": compute_type, "threads": threads}
    if "+" in name:
        return JoinedEncoder([load_encoder(part, revision=revision, **runtime) for part in name.split("+")])
    if name in ENCODERS:
        if engine != "transformers" or compute_type != "float32":
            raise OptionError(
                f"encoder {name!r} is built in and runs on its own runtime; engine={engine!r}, "
                f"compute_type={compute_type!r} are only for transformers encoders (Hub ids or folders)"
            )
        return ENCODERS[name](threads)
    return TransformersEncoder(name, revision=revision, **runtime)
