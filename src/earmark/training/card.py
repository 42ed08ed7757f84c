"""The model card (README.md) of a trained model, and the training data's licence as its folder states it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["data_licence", "model_card"]

UNSTATED = "not stated: check the data's licence before sharing this model"


def data_licence(data: str) -> str:
    """The training data's licence as its folder states it (a LICENSE file, or a licence line in its
    MANIFEST/README), or a reminder to check."""
    if not data or data.startswith("hf:") or not Path(data).exists():
        return UNSTATED
    folder = Path(data).resolve()
    folder = folder if folder.is_dir() else folder.parent
    for place in (folder, *list(folder.parents)[:2]):
        for name in ("LICENSE", "LICENCE", "LICENSE.txt", "LICENSE.md", "COPYING"):
            if (place / name).is_file():
                first = next(
                    (ln.strip() for ln in (place / name).read_text(errors="replace").splitlines() if ln.strip())
                )
                return f"{first} ({place / name})"
        for name in ("MANIFEST.txt", "README.md", "README.txt"):
            if (place / name).is_file():
                for line in (place / name).read_text(errors="replace").splitlines():
                    if re.search(r"licen[cs]e\b\s*[:|]|under the terms|licensed under", line, re.I):
                        text = re.sub(r"^\W*licen[cs]e\W*[:|]\s*", "", line.strip(" -*#"), flags=re.I)
                        return f"{text[:300]} ({place / name})"
    return UNSTATED


def model_card(report: Any, training: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """Markdown: how the model was made, its held-out scores per class, how to use and repeat it."""
    per_class = "\n".join(
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for label, m in evaluation["per_class"].items()
    )
    how = (
        f"frozen encoder `{report.base}`, {report.head} head"
        if report.mode == "head"
        else f"fine-tuned from `{report.base}` (transformers Trainer)"
    )
    shown = ", ".join(report.test_groups[:5]) + (
        f" and {len(report.test_groups) - 5} more" if len(report.test_groups) > 5 else ""
    )
    held_out = shown or f"a random {report.test_clips} clips (by group)"
    repeat = training.get("command") or "see training.json"
    refit = (
        "\n  (validation picks the number of epochs; the head is then trained again on train + validation)"
        if report.details.get("refit")
        else ""
    )
    # Encoders whose weights restrict how a model built on them may be used.
    restricted = {"birdnet": "BirdNET V2.4 (CC BY-NC-SA 4.0): this model is for non-commercial use only"}
    notes = "".join(
        f"\n- Encoder licence: {note}"
        for name, note in restricted.items()
        if report.mode == "head" and name in str(report.base).split("+")
    )
    if "false_accept_rate" in evaluation:
        per_class += (
            f"\n\nAt threshold {evaluation['threshold']}: the keyword is caught in {evaluation['recall']:.1%} of "
            f"held-out keyword clips; {evaluation['false_accept_rate']:.1%} of held-out other clips fire."
        )
    return f"""# earmark model

Trained with earmark: {how}.

- Labels: {", ".join(report.labels)}
- Data: {training.get("data") or "(in memory)"}, {training["clips"]} clips
- Split: by `{training.get("split_by") or "clip"}`; held out: {held_out}
- Clips: {report.train_clips} train, {report.validation_clips} validation, {report.test_clips} test{refit}
- Held-out accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f} (scored by loading this folder)
- Training took {report.seconds:.0f} s ({json.dumps(report.details)})
- Training data licence: {training["licence"]}{notes}

| label | precision | recall | F1 | clips |
|---|---|---|---|---|
{per_class}

Use it: `earmark classify FILE --model THIS_FOLDER`, or `earmark listen FILE --model THIS_FOLDER`.
Repeat it: `{repeat}` (all settings in `training.json`; the seed fixes the split and the head).
"""
