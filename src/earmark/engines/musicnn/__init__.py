"""Engine: musicnn music taggers (MTG-UPF, ISC licence), offline, without TensorFlow.

The weights are the TensorFlow checkpoints in the ``musicnn`` wheel (installed with ``--no-deps``),
read by :mod:`.checkpoint` into the torch network of :mod:`.network`. The front end is musicnn's own
(``extractor.batch_data``): 16 kHz audio (earmark resamples with soxr's HQ setting, as librosa 0.10+ does), a
centred STFT of 512 with hop 256 (zero-padded), power, 96 Slaney mel bands, cast to float16, then
``log10(10000 x + 1)`` in float32; patches of 187 frames (~3 s) without overlap, only whole patches (a clip
shorter than one patch is zero-padded to one). Tags are sigmoids; a file's score is the mean over
its patches, and the patches are its timeline (musicnn's taggram).

``musicnn-mtt``: 50 MagnaTagATune tags (ROC-AUC 0.907 reported); ``musicnn-msd``: 50 Million Song
Dataset tags (0.880); ``musicnn-msd-genre``: only the MSD tags that are genres.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...classifier import Classifier
from ...errors import OptionError
from ...options import ClassifyOptions, LoadOptions
from ...threads import set_torch_threads
from ...windows import Grid, Plan
from ..packaged import package_folder, verified

__all__ = ["MODELS", "MusicnnClassifier", "load", "log_mel"]

SAMPLE_RATE = 16000
N_FFT, HOP, N_MELS = 512, 256, 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1, as musicnn computes it
INSTALL = "pip install --no-deps musicnn==0.1.0"
LICENCE = "ISC (MTG, Universitat Pompeu Fabra)"

MTT_LABELS = (
    "guitar",
    "classical",
    "slow",
    "techno",
    "strings",
    "drums",
    "electronic",
    "rock",
    "fast",
    "piano",
    "ambient",
    "beat",
    "violin",
    "vocal",
    "synth",
    "female",
    "indian",
    "opera",
    "male",
    "singing",
    "vocals",
    "no vocals",
    "harpsichord",
    "loud",
    "quiet",
    "flute",
    "woman",
    "male vocal",
    "no vocal",
    "pop",
    "soft",
    "sitar",
    "solo",
    "man",
    "classic",
    "choir",
    "voice",
    "new age",
    "dance",
    "male voice",
    "female vocal",
    "beats",
    "harp",
    "cello",
    "no voice",
    "weird",
    "country",
    "metal",
    "female voice",
    "choral",
)
MSD_LABELS = (
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "female vocalists",
    "dance",
    "00s",
    "alternative rock",
    "jazz",
    "beautiful",
    "metal",
    "chillout",
    "male vocalists",
    "classic rock",
    "soul",
    "indie rock",
    "Mellow",
    "electronica",
    "80s",
    "folk",
    "90s",
    "chill",
    "instrumental",
    "punk",
    "oldies",
    "blues",
    "hard rock",
    "ambient",
    "acoustic",
    "experimental",
    "female vocalist",
    "guitar",
    "Hip-Hop",
    "70s",
    "party",
    "country",
    "easy listening",
    "sexy",
    "catchy",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "60s",
    "rnb",
    "indie pop",
    "sad",
    "House",
    "happy",
)
# The MSD tags that name a genre (not a decade, mood, voice or instrument).
MSD_GENRES = (
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "dance",
    "alternative rock",
    "jazz",
    "metal",
    "chillout",
    "classic rock",
    "soul",
    "indie rock",
    "electronica",
    "folk",
    "punk",
    "blues",
    "hard rock",
    "ambient",
    "experimental",
    "Hip-Hop",
    "country",
    "easy listening",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "rnb",
    "indie pop",
    "House",
)
# name -> (checkpoint folder, labels, the labels kept, sha256 of .index and .data-00000-of-00001)
MODELS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, str]]] = {
    "musicnn-mtt": (
        "MTT_musicnn",
        MTT_LABELS,
        MTT_LABELS,
        (
            "da2d7bb670b2b31e9bc441bb1bd75eca31b5b061f963cc1f9630c1aff3238f57",
            "041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab",
        ),
    ),
    "musicnn-msd": (
        "MSD_musicnn",
        MSD_LABELS,
        MSD_LABELS,
        (
            "87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8",
            "8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6",
        ),
    ),
}
MODELS["musicnn-msd-genre"] = (*MODELS["musicnn-msd"][:2], MSD_GENRES, MODELS["musicnn-msd"][3])


def log_mel(samples: np.ndarray, mel: np.ndarray, window: np.ndarray) -> np.ndarray:
    """musicnn's representation ``(frames, 96)`` of samples that already carry the STFT's padding
    (frame ``f`` is ``samples[256 f : 256 f + 512]``)."""
    from scipy.fft import rfft

    frames = np.lib.stride_tricks.sliding_window_view(np.asarray(samples, np.float32), N_FFT)[::HOP]
    power = np.abs(rfft(frames * window, axis=-1)) ** 2
    # musicnn rounds the mel power to float16; numpy < 2 then computed 10000 * x (a uint16 scalar times
    # float16) in float32, so the log does not overflow: round to float16, compute in float32.
    energy = (power @ mel).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * energy + np.float32(1))


class MusicnnClassifier(Classifier):
    """A musicnn tagger: 50 multi-label tags (or the genre tags of the MSD one) per ~3 s patch."""

    engine = "musicnn"
    sample_rate = SAMPLE_RATE
    window_s = PATCH_FRAMES * HOP / SAMPLE_RATE
    multi_label = True
    default_options = ClassifyOptions(pooling="mean", merge=False)

    def __init__(self, name: str) -> None:
        from transformers.audio_utils import mel_filter_bank, window_function

        from .checkpoint import read_checkpoint
        from .network import MusicnnNetwork

        folder_name, all_labels, kept, (index_sha, data_sha) = MODELS[name]
        folder = package_folder("musicnn", INSTALL, "musicnn") / folder_name
        verified(folder / ".index", index_sha, INSTALL)
        self.path = verified(folder / ".data-00000-of-00001", data_sha, INSTALL)
        self.name = name
        self.network = MusicnnNetwork(read_checkpoint(f"{folder}/"))  # the prefix is the folder itself
        self.keep = np.array([all_labels.index(label) for label in kept])
        self._labels = kept
        self.mel = mel_filter_bank(
            num_frequency_bins=N_FFT // 2 + 1,
            num_mel_filters=N_MELS,
            min_frequency=0.0,
            max_frequency=SAMPLE_RATE / 2,
            sampling_rate=SAMPLE_RATE,
            norm="slaney",
            mel_scale="slaney",
        ).astype(np.float32)
        self.window = window_function(N_FFT, "hann", periodic=True).astype(np.float32)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def grid(self, opts: ClassifyOptions) -> Grid:
        """musicnn's patches: ``frames`` STFT frames every ``hop`` frames, each read with the centred
        STFT's padding around it (zeros before the start and after the end)."""
        frames = PATCH_FRAMES if opts.window_s is None else _frames(opts.window_s)
        hop = frames if opts.hop_s is None else max(1, round(opts.hop_s * SAMPLE_RATE / HOP))
        return Grid((frames - 1) * HOP + N_FFT, hop * HOP, offset=-(N_FFT // 2), report=frames * HOP)

    def plan(self, num_samples: int, opts: ClassifyOptions) -> Plan:
        """Every whole patch of the STFT's frames; shorter than one patch: one, zero-padded (musicnn
        itself fails)."""
        grid = self.grid(opts)
        frames, hop = (grid.window - N_FFT) // HOP + 1, grid.hop // HOP
        total = max(1 + num_samples // HOP, frames)
        return [grid.window_at(k, num_samples) for k in range((total - frames) // hop + 1)]

    def run(self, clips: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The network's outputs (logits, penultimate, pools) for prepared clips."""
        return self.network.run(np.stack([log_mel(c, self.mel, self.window) for c in clips]))

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        return self.run(clips)["logits"][:, self.keep]


def _frames(window_s: float) -> int:
    """musicnn's ``librosa.time_to_frames(window_s) + 1``."""
    frames = int(np.floor((window_s * SAMPLE_RATE - N_FFT // 2) / HOP)) + 1
    if frames < 32:  # the longest temporal filter spans 32-128 frames; shorter patches lose them
        raise OptionError(f"window_s={window_s} is too short for musicnn; use at least {32 * HOP / SAMPLE_RATE:.2f} s")
    return frames


def load(ref: str, options: LoadOptions | None = None) -> Classifier:
    """The musicnn engine's loader: ``musicnn-mtt``, ``musicnn-msd`` or ``musicnn-msd-genre`` (on torch;
    ``threads`` sets torch's)."""
    if ref not in MODELS:
        raise OptionError(f"musicnn model {ref!r} is not known; use one of {', '.join(MODELS)}")
    set_torch_threads(options.threads if options else None)
    return MusicnnClassifier(ref)
