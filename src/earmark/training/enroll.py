"""``earmark enroll`` and ``earmark verify``: a speaker model from a few clips per speaker, and same/different
for two clips.

The ``unknown`` threshold comes from the enrolment clips' own spread: each clip is scored against its own
speaker's centroid made without it (leave-one-out: the scores a known speaker's new clip would get) and
against every other speaker's centroid (what a stranger close to them would get); the threshold is halfway
between the 5th percentile of the own-speaker scores and the 95th percentile of the other-speaker scores
(the 5th percentile alone with one speaker). Speakers with one clip give no own-speaker score; with none at
all the encoder's default applies. ``threshold=`` overrides.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ModelError, OptionError

__all__ = ["DEFAULT_THRESHOLD", "EnrolmentReport", "Verification", "choose_threshold", "enroll", "verify"]

DEFAULT_THRESHOLD = 0.75  # GE2E cosine; used only when no speaker has two clips (see the README's figures)
ACCEPT_QUANTILE = 5.0


@dataclass(frozen=True)
class EnrolmentReport:
    folder: Path
    speakers: dict[str, int]
    """Clips per speaker."""
    threshold: float
    threshold_from: str
    """``enrolment clips``, ``given`` or ``default``."""
    known_accepted: float | None
    """Share of leave-one-out own-speaker scores at or above the threshold."""
    impostors_above: float | None
    """Share of other-speaker scores at or above it."""
    added: int


@dataclass(frozen=True)
class Verification:
    same: bool
    score: float
    threshold: float
    threshold_from: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("same", "score", "threshold", "threshold_from")}


def choose_threshold(enrolment: Any) -> tuple[float | None, float | None, float | None]:
    """(threshold, known accepted, impostors above) from the enrolment clips; Nones when no speaker has two."""
    from ..engines.speakers import unit

    e, names = enrolment.embeddings, np.array(enrolment.speakers)
    sums = {n: e[names == n].sum(axis=0) for n in enrolment.names}
    counts = {n: int((names == n).sum()) for n in enrolment.names}
    centroids = {n: unit(s) for n, s in sums.items()}
    genuine, impostor = [], []
    for vector, name in zip(e, names):
        if counts[name] > 1:
            genuine.append(float(unit(sums[name] - vector) @ vector))
        impostor += [float(centroids[o] @ vector) for o in enrolment.names if o != name]
    if not genuine:
        return None, None, None
    low = float(np.percentile(genuine, ACCEPT_QUANTILE))
    threshold = (low + float(np.percentile(impostor, 100 - ACCEPT_QUANTILE))) / 2 if impostor else low
    above = float(np.mean(np.array(impostor) >= threshold)) if impostor else None
    return threshold, float(np.mean(np.array(genuine) >= threshold)), above


def enroll(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    encoder: str = "speaker",
    label_pattern: str | None = None,
    threshold: float | None = None,
    add: bool = False,
    threads: int | None = None,
) -> EnrolmentReport:
    """Enrol the speakers of ``data`` (a folder per speaker, a manifest, or file names with ``label_pattern``)
    into the speaker model folder ``out``; ``add=True`` adds clips and speakers to an existing one."""
    from ..engines.speakers import SPEAKERS_FORMAT, Enrolment, speaker_encoder, unit
    from ..io.labelled import load_labelled

    out = Path(out).expanduser()
    before, config = _existing(out, add, encoder)
    encoder = config.get("encoder", encoder)
    clips = [c for c in load_labelled(data, label_pattern=label_pattern) if c.key not in set(before.sources)]
    if not clips and not before.sources:
        raise OptionError(f"{data}: no labelled clips to enrol (a folder per speaker, a manifest, or --label-pattern)")
    model = speaker_encoder(encoder, threads)
    new = [unit(model.embed(c.to_audio())) for c in clips]
    dim = len(new[0]) if new else before.embeddings.shape[1]
    enrolment = Enrolment(
        np.vstack([before.embeddings.reshape(-1, dim), *(v[None] for v in new)]).astype(np.float32),
        before.speakers + tuple(c.label for c in clips),
        before.sources + tuple(c.key for c in clips),
    )
    chosen, accepted, above = choose_threshold(enrolment)
    if threshold is not None:
        value, source = float(threshold), "given"
    elif chosen is not None:
        value, source = chosen, "enrolment clips"
    else:
        value, source = DEFAULT_THRESHOLD, "default"
    out.mkdir(parents=True, exist_ok=True)
    enrolment.save(out)
    counts = {n: enrolment.speakers.count(n) for n in enrolment.names}
    manifest = {
        "format": SPEAKERS_FORMAT,
        "format_version": 1,
        "earmark": __version__,
        "encoder": encoder,
        "threshold": value,
        "threshold_from": source,
        "speakers": counts,
        "known_accepted": accepted,
        "impostors_above": above,
    }
    (out / "earmark.json").write_text(json.dumps(manifest, indent=2))
    return EnrolmentReport(out, counts, value, source, accepted, above, len(clips))


def _existing(out: Path, add: bool, encoder: str) -> tuple[Any, dict]:
    from ..engines.speakers import Enrolment

    empty = Enrolment(np.zeros((0, 0), np.float32), (), ())
    if not (out / "earmark.json").is_file():
        if add:
            raise OptionError(f"--add: {out} is not a speaker model folder; enrol without --add first")
        return empty, {}
    if not add:
        raise OptionError(f"--out {out}: is a speaker model already; use --add to add clips or speakers to it")
    try:
        config = json.loads((out / "earmark.json").read_text())
        enrolment = Enrolment.read(out)
    except (OSError, ValueError, KeyError) as e:
        raise ModelError(f"{out}: not a readable earmark speaker model ({e})") from e
    if encoder not in ("speaker", config["encoder"]):
        raise OptionError(f"--encoder {encoder}: {out} was enrolled with {config['encoder']!r}; keep that encoder")
    return enrolment, config


def verify(a: Any, b: Any, *, model: str | None = None, encoder: str = "speaker", threshold: float | None = None):
    """Whether two clips (paths, arrays with rates, Audio) are the same voice: the cosine of their embeddings
    against ``threshold``, else the speaker model's (``model``), else the encoder's default."""
    from ..engines.speakers import SpeakerClassifier, speaker_encoder, unit
    from ..io.decode import load_audio

    source = "given"
    if model is not None:
        speakers = SpeakerClassifier(Path(model).expanduser())
        embedder, default = speakers.encoder, speakers.threshold
        source = source if threshold is not None else f"speaker model {model}"
    else:
        embedder, default = speaker_encoder(encoder), DEFAULT_THRESHOLD
        source = source if threshold is not None else "default"
    value = float(threshold if threshold is not None else default)
    first, second = (unit(embedder.embed(load_audio(x))) for x in (a, b))
    score = float(first @ second)
    return Verification(score >= value, score, value, source)
