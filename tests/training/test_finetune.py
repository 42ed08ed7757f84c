"""Full fine-tuning with the transformers Trainer, end to end on tiny random models."""

import json

import pytest
from typer.testing import CliRunner

import earmark
from earmark import OptionError
from earmark.cli import app
from earmark.io.labelled import LabelledClip
from earmark.training.finetune import FinetuneConfig, finetune

from synthetic import noise, tone

pytest.importorskip("accelerate")
pytest.importorskip("sklearn")


def _clips(n: int = 12) -> list[LabelledClip]:
    tones = [
        LabelledClip(f"tone{i}", "tone", audio={"array": tone(300 + 40 * i), "sampling_rate": 16000}) for i in range(n)
    ]
    hiss = [LabelledClip(f"hiss{i}", "hiss", audio={"array": noise(seed=i), "sampling_rate": 16000}) for i in range(n)]
    return tones + hiss


def test_loss_goes_down_and_the_folder_loads(model_dir, tmp_path):
    settings = FinetuneConfig(learning_rate=1e-3, epochs=4, batch_size=4, warmup_ratio=0.0, logging_steps=1)
    report = finetune(_clips(), tmp_path / "ft", model=str(model_dir("ast")), config=settings, test_size=0.25)
    losses = report.details["losses"]
    assert len(losses) == report.details["steps"] >= 12
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3, losses
    assert report.accuracy >= 0.8 and report.test_clips == 6
    config = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert config["id2label"] == {"0": "hiss", "1": "tone"}  # the data's labels, not the base model's four
    model = earmark.load(tmp_path / "ft")
    assert model.labels == ("hiss", "tone")
    assert model.classify(tone(520), sample_rate=16000).label == "tone"
    assert not (tmp_path / "ft" / "checkpoints").exists()
    training = json.loads((tmp_path / "ft" / "training.json").read_text())
    assert training["mode"] == "finetune" and training["learning_rate"] == 1e-3
    assert "fine-tuned from" in (tmp_path / "ft" / "README.md").read_text()


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_from_its_last_checkpoint(model_dir, tmp_path):
    from transformers import TrainerCallback

    class StopAfterFirstSave(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            raise Interrupted(state.global_step)

    settings = FinetuneConfig(learning_rate=1e-3, epochs=3, batch_size=4, warmup_ratio=0.0, logging_steps=1)
    base = str(model_dir("wav2vec2"))
    with pytest.raises(Interrupted) as stopped:
        finetune(
            _clips(6), tmp_path / "ft", model=base, config=settings, test_size=0.25, callbacks=[StopAfterFirstSave()]
        )
    step = stopped.value.args[0]
    assert (tmp_path / "ft" / "checkpoints" / f"checkpoint-{step}").is_dir()
    report = finetune(_clips(6), tmp_path / "ft", model=base, config=settings, test_size=0.25)
    assert report.details["resumed_from"] == f"checkpoint-{step}"
    assert report.details["steps"] == 3 * step  # three epochs in all, the first one not repeated
    assert len(report.details["losses"]) == 3 * step  # the first epoch's log comes back with its checkpoint


def test_bad_settings():
    with pytest.raises(OptionError, match="must be positive"):
        FinetuneConfig(learning_rate=0)
    with pytest.raises(OptionError, match="warmup_ratio"):
        FinetuneConfig(warmup_ratio=1.5)


def test_cli_finetune(model_dir, tmp_path):
    folder = tmp_path / "data"
    import soundfile as sf

    for label, make in (("tone", lambda i: tone(300 + 50 * i)), ("hiss", lambda i: noise(seed=i))):
        (folder / label).mkdir(parents=True)
        for i in range(6):
            sf.write(folder / label / f"{i}.wav", make(i), 16000)
    args = ["train", str(folder), "--out", str(tmp_path / "m"), "--mode", "finetune", "--epochs", "2"]
    result = CliRunner().invoke(app, [*args, "--model", str(model_dir("ast")), "--learning-rate", "1e-3"])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output and (tmp_path / "m" / "model.safetensors").exists()
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 2 and "needs --model" in missing.output
