"""Request parameters: the Hugging Face Inference API's ``parameters`` (and query strings) -> earmark options."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import AudioError, OptionError, fixed_labels
from ..options import ClassifyOptions, split_labels

__all__ = ["PARAMETERS", "ParameterError", "classify_options", "read_json_inputs"]

# parameter -> how to read it from a string (query strings and form fields are text)
PARAMETERS = {
    "top_k": int,
    "function_to_apply": str,
    "threshold": float,
    "window_s": float,
    "hop_s": float,
    "pooling": str,
    "abstain_below": float,
    "candidate_labels": None,  # a list, or "a,b" in a query string
    "hypothesis_template": str,
    "return_timeline": None,
}


class ParameterError(OptionError):
    """A request body that is not the Inference API's JSON shape (HTTP 422)."""


def read_json_inputs(body: bytes) -> tuple[bytes, dict[str, Any]]:
    """``{"inputs": "<base64 audio>", "parameters": {...}}`` -> (audio bytes, parameters)."""
    try:
        payload = json.loads(body)
    except ValueError as e:
        raise ParameterError(f"the body is not valid JSON ({e})") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
        raise ParameterError('send {"inputs": "<base64-encoded audio>", "parameters": {...}}')
    text = payload["inputs"].strip()
    if text.startswith(("http://", "https://", "file:", "/")):
        raise AudioError("inputs is a URL or a path; this server does not fetch them: send the audio, base64-encoded")
    try:
        data = base64.b64decode(text.split(",", 1)[1] if text.startswith("data:") else text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise AudioError(f"inputs is not base64-encoded audio ({e})") from e
    parameters = payload.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ParameterError(f"parameters must be an object; got {type(parameters).__name__}")
    return data, parameters


def classify_options(classifier: Any, params: dict[str, Any]) -> tuple[ClassifyOptions, Any, Any, bool]:
    """(options, zero-shot labels, template, return_timeline) from request parameters."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise OptionError(f"unknown parameters {unknown}; allowed: {sorted(PARAMETERS)}")
    changes: dict[str, Any] = {}
    try:
        for name, read in PARAMETERS.items():
            if read is not None and params.get(name) not in (None, ""):
                changes[name] = read(params[name])
    except (TypeError, ValueError) as e:
        raise OptionError(f"a parameter has a bad value ({e})") from e
    labels = split_labels(params.get("candidate_labels"))
    template = changes.pop("hypothesis_template", None)
    if labels is not None and not classifier.zero_shot:
        raise fixed_labels(classifier.name)
    if classifier.zero_shot and labels is None and not classifier.labels_bound:
        raise OptionError("this zero-shot model needs candidate_labels")
    timeline = str(params.get("return_timeline", "")).lower() in ("1", "true", "yes")
    options = classifier.default_options.replace(**changes)
    return options, labels or None, template, timeline
