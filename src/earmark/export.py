"""``earmark export``: a model as a self-contained folder that runs on the core install (ONNX Runtime and
NumPy; no torch, no transformers), read by :mod:`earmark.engines.exported`.

What exports: transformers audio classifiers, CLAP with bound labels (text embeddings computed here,
once), and heads trained by ``earmark train`` on a transformers encoder (the encoder's graph) or on a
built-in encoder that runs without torch (openwakeword, whisper-base, birdnet: named, run by their own
runtimes). Exporting needs the full install: the network is exported by torch (the onnx engine's
cached export, parity-checked against torch there) and the export is checked again here - the folder's
scores against the torch model's and the onnx engine's on probe clips - with the figures kept in the
manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import ModelError, OptionError
from .manifest import FORMAT, FORMAT_VERSION

__all__ = ["ExportReport", "export"]

NO_TORCH_ENCODERS = ("openwakeword", "whisper-base", "birdnet")


@dataclass(frozen=True)
class ExportReport:
    """What ``export`` wrote: the folder, its kind and precision, its files' sizes and the parity figures."""

    folder: Path
    kind: str
    compute_type: str
    files: dict[str, int]
    parity: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "kind": self.kind,
            "compute_type": self.compute_type,
            "files": self.files,
            "parity": self.parity,
        }


def export(
    model: str | os.PathLike,
    out: str | os.PathLike,
    *,
    compute_type: str = "float32",
    labels: Sequence[str] | str | None = None,
    template: str | None = None,
    revision: str | None = None,
) -> ExportReport:
    """Export ``model`` into the new folder ``out`` (``compute_type`` ``float32`` or ``int8``); a zero-shot
    model needs ``labels``. The folder is built beside ``out`` and renamed into place when complete."""
    from .engines.onnx_export import check_compute_type
    from .registry import parse_ref

    check_compute_type(compute_type)
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OptionError(f"--out {out}: exists and is not an empty folder; remove it or choose another")
    ref = parse_ref(os.fspath(model))
    source, reference = _load_pair(ref.target, compute_type, labels, template, revision)
    if not source.labels_bound:
        raise OptionError(f"{ref.target}: a zero-shot model is exported with its labels bound; give --labels 'a,b,...'")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        manifest = _write(source, work, ref.target, compute_type, template)
        (work / "earmark.json").write_text(json.dumps(manifest, indent=2))
        manifest["parity"] = parity = _parity(work, source, reference)
        (work / "earmark.json").write_text(json.dumps(manifest, indent=2))
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files = {name: entry["bytes"] for name, entry in manifest["files"].items()}
    return ExportReport(out, manifest["kind"], compute_type, files, parity)


def _load_pair(target: str, compute_type: str, labels: Any, template: str | None, revision: str | None):
    """The model on the onnx engine (what is exported) and on torch (what the export is checked against)."""
    from .manifest import is_export
    from .registry import ENGINES, load

    if is_export(target):
        raise OptionError(f"{target}: is an export already; copy the folder to use it elsewhere")
    own = next((e for e in ENGINES if e.serves(target) and e.name not in ("head", "exported")), None)
    if own is not None:
        needs = "needs torch and has no export" if own.name == "musicnn" else "already runs without torch"
        raise OptionError(
            f"{target}: a {own.name} model ({own.description}) {needs}; earmark export takes transformers audio "
            "classifiers, CLAP with --labels and heads trained by earmark train"
        )
    common: dict[str, Any] = {"labels": labels, "template": template, "revision": revision, "calibration": "none"}
    head = _head_encoder(target)
    if head is not None and head.split("+")[0] in NO_TORCH_ENCODERS:
        _check_builtin(target, head)
        model = load(target, calibration="none")  # its encoder runs on its own runtime
        return model, model
    try:
        source = load(target, engine="onnx", compute_type=compute_type, **common)
    except OptionError as e:
        raise OptionError(
            f"{target}: cannot be exported ({e}); earmark export takes transformers audio classifiers, CLAP with "
            "--labels and heads trained by earmark train - built-in models (birdnet, wake-word/..., whisper-base) "
            "already run without torch"
        ) from e
    reference = load(target, **common)
    return source, reference


def _head_encoder(target: str) -> str | None:
    config = Path(target).expanduser() / "earmark.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text()).get("encoder")


def _check_builtin(target: str, encoder: str) -> None:
    parts = encoder.split("+")
    if not all(p in NO_TORCH_ENCODERS for p in parts):
        raise ModelError(
            f"{target}: its encoder {encoder!r} joins parts that need torch; exports take one transformers encoder "
            f"or built-in encoders that run without torch ({', '.join(NO_TORCH_ENCODERS)})"
        )


def _write(source: Any, work: Path, target: str, compute_type: str, template: str | None) -> dict[str, Any]:
    """The folder's files and its manifest (without parity yet)."""
    from .engines.clap import ZeroShotClassifier
    from .engines.head import HeadClassifier

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "source": target,
        "earmark": __version__,
        "compute_type": compute_type,
        "sample_rate": source.sample_rate,
        "window_s": source.window_s,
        "labels": list(source.labels),
        "multi_label": source.multi_label,
        "default_function": source.default_function,
        "equal_length_batches": source.equal_length_batches,
    }
    if isinstance(source, HeadClassifier):
        manifest |= _write_head(source, work, compute_type)
    elif isinstance(source, ZeroShotClassifier):
        manifest |= _write_zero_shot(source, work)
    else:
        _write_network(source.runner.folder, source.feature_extractor, work)
        manifest |= {"kind": "classifier", "onnx": source.parity}
    manifest["files"] = _files(work)
    return manifest


def _write_network(cached: Path, extractor: Any, work: Path) -> None:
    from .engines.frontends import describe

    frontend = describe(extractor)
    shutil.copyfile(cached / "model.onnx", work / "model.onnx")
    frontend.save(work)


def _write_zero_shot(source: Any, work: Path) -> dict[str, Any]:
    _write_network(source.runner.folder, source.feature_extractor, work)
    text = source.text_embeddings().float().cpu().numpy()
    np.save(work / "text_embeddings.npy", text.astype(np.float32))
    scale = float(source.model.logit_scale_a.exp().item())
    return {
        "kind": "zero-shot",
        "zero_shot": {"template": source.template, "logit_scale": scale},
        "onnx": source.parity,
    }


def _write_head(source: Any, work: Path, compute_type: str) -> dict[str, Any]:
    from .engines.encoders import TransformersEncoder
    from .engines.head import NUMPY_WEIGHTS, SPEC

    config = json.loads((source.folder / "earmark.json").read_text())
    encoder = source.encoder
    spec: dict[str, Any] = {
        "encoder": config["encoder"],
        "detector": source.detector,
        "window_s": source.stream_window_s,
    }
    extra: dict[str, Any] = {}
    if isinstance(encoder, TransformersEncoder):
        _write_network(encoder.runner.folder, encoder.extractor, work)
        spec["encoder_kind"] = encoder.kind
        extra["onnx"] = encoder.runner.parity
    elif compute_type != "float32":
        raise OptionError(f"{source.folder}: encoder {config['encoder']!r} is built in and runs in float32 only")
    shutil.copyfile(source.folder / SPEC, work / SPEC)
    if source.head.kind != "logistic":
        np.savez(work / NUMPY_WEIGHTS, **source.head.numpy_state())
    return {"kind": "head", "head": spec} | extra


def _files(work: Path) -> dict[str, dict[str, Any]]:
    from .hashing import file_sha256

    return {
        p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(work.iterdir())
        if p.is_file() and p.name != "earmark.json"
    }


def _parity(work: Path, source: Any, reference: Any) -> dict[str, Any]:
    """The export's scores on probe clips against the model as earmark loads it by default (``original``: torch,
    or for a head on a built-in encoder its head engine) and on the onnx engine: the largest
    absolute difference of the logits, and how often the top class agrees."""
    from .engines.exported import ExportedClassifier
    from .engines.onnx_export import probe_clips

    exported = ExportedClassifier(work)
    probes = probe_clips(exported.sample_rate, exported.window_s)
    got = np.concatenate([exported.forward([p]) for p in probes])
    figures: dict[str, Any] = {"probes": len(probes)}
    for name, model in (("original", reference), ("onnx_engine", source)):
        if name == "onnx_engine" and model is reference:
            continue
        want = np.concatenate([np.asarray(model.forward([p]), np.float32) for p in probes])
        figures[f"{name}_max_abs_diff"] = float(np.abs(got - want).max())
        figures[f"{name}_top1_agreement"] = float(np.mean(got.argmax(axis=1) == want.argmax(axis=1)))
    return figures
