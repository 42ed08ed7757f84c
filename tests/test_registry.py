"""earmark.load: tasks, directories, Hub ids, and clear errors."""

import json
import shutil
import time

import numpy as np
import pytest

import earmark
from earmark import ModelError, OptionError
from earmark.engines.clap import ZeroShotClassifier
from earmark.engines.transformers import TransformersClassifier

from synthetic import shared_path


def test_loads_each_kind_of_directory(model_dir):
    assert isinstance(earmark.load(model_dir("ast")), TransformersClassifier)
    clap = earmark.load(model_dir("clap"), labels="dog, cat", template="A {} sound")
    assert isinstance(clap, ZeroShotClassifier) and clap.labels == ("dog", "cat") and clap.template == "A {} sound"


def test_task_name_resolves_to_its_default_model_and_fails_fast_offline():
    started = time.monotonic()
    with pytest.raises(ModelError, match="MIT/ast-finetuned-speech-commands-v2.*hf download") as info:
        earmark.load("keyword-spotting")
    assert time.monotonic() - started < 10
    assert isinstance(info.value, OSError) and "\n" not in str(info.value)


def test_unknown_hub_id_lists_the_tasks():
    with pytest.raises(ModelError, match="tasks: audio-classification"):
        earmark.load("nobody/no-such-model")


def test_missing_directory():
    with pytest.raises(ModelError, match="no such directory"):
        earmark.load("./models/not/here")


def test_not_an_audio_classifier(tmp_path):
    from transformers import BertConfig

    BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8).save_pretrained(tmp_path)
    with pytest.raises(ModelError, match="'bert' model, not an audio classifier"):
        earmark.load(tmp_path)


def test_labels_only_for_zero_shot(model_dir):
    with pytest.raises(OptionError, match="only for zero-shot"):
        earmark.load(model_dir("ast"), labels=["a"])


def test_directory_without_feature_extractor(model_dir, tmp_path):
    target = tmp_path / "no-extractor"
    shutil.copytree(model_dir("ast"), target)
    (target / "preprocessor_config.json").unlink()
    with pytest.raises(ModelError, match="could not load its feature extractor"):
        earmark.load(target)


def test_remote_code_is_never_trusted_implicitly(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": "mystery", "auto_map": {"AutoConfig": "configuration_mystery.MysteryConfig"}})
    )
    with pytest.raises(ModelError, match="trust_remote_code=True"):
        earmark.load(tmp_path)


def test_engine_table_order_and_names():
    from earmark.registry import engines

    names = [e.name for e in engines()]
    assert (
        names[:6] == ["exported", "speakers", "head", "wake-word", "mlcommons-kws", "ct2"]
        and names[-1] == "transformers"
    )


def test_an_unknown_engine_name_lists_the_engines(model_dir):
    with pytest.raises(
        OptionError, match=r"engine='onnxx' is not allowed; use one of \('auto', 'exported', 'speakers', 'head'"
    ):
        earmark.load(model_dir("ast"), engine="onnxx")


def test_a_named_engine_must_take_the_model(model_dir):
    with pytest.raises(ModelError, match="the ct2 engine .* does not take"):
        earmark.load(model_dir("ast"), engine="ct2")
    assert isinstance(earmark.load(model_dir("ast"), engine="transformers"), TransformersClassifier)


PLUGIN = """
import numpy as np
from earmark.classifier import Classifier
from earmark.registry import Engine


class Beeper(Classifier):
    engine = "beeper"
    sample_rate = 8000
    labels = ("beep", "silence")

    def __init__(self, name):
        self.name = name

    def forward(self, clips):
        return np.array([[np.abs(c).mean() * 100, 1.0] for c in clips], np.float32)


def load(ref, options):
    return Beeper(ref)


ENGINE = Engine("beeper", lambda ref: ref.startswith("beeper:"), "earmark_beeper:load", "a plugin engine")
"""


def test_a_third_party_engine_registers_through_an_entry_point(tmp_path, monkeypatch):
    """A package on sys.path with an ``earmark.engines`` entry point (its dist-info, as pip writes it)."""
    (tmp_path / "earmark_beeper.py").write_text(PLUGIN)
    info = tmp_path / "earmark_beeper-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: earmark-beeper\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[earmark.engines]\nbeeper = earmark_beeper:ENGINE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from earmark.registry import engines

    assert [e.name for e in engines()][-3:] == ["beeper", "onnx", "transformers"]  # before the catch-all
    classifier = earmark.load("beeper:one", engine="auto")
    assert classifier.engine == "beeper" and classifier.name == "beeper:one"
    loud = np.full(8000, 0.5, np.float32)
    assert classifier(loud, sample_rate=8000).label == "beep"
    assert classifier(np.zeros(8000, np.float32), sample_rate=8000).label == "silence"


def test_a_broken_entry_point_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[earmark.engines]\nbroken = no_such_module:ENGINE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from earmark.registry import engines

    assert "broken" not in [e.name for e in engines()]
    assert "could not be loaded" in caplog.text


def test_what_callers_need_is_on_the_interface(model_dir, loaded):
    ast, clap = loaded("ast"), earmark.load(model_dir("clap"))
    assert ast.engine == "transformers" and ast.size_bytes == sum(
        p.numel() * p.element_size() for p in ast.model.parameters()
    )
    assert ast.labels_bound and not ast.zero_shot
    assert clap.zero_shot and not clap.labels_bound and clap.with_labels(["a", "b"]).labels_bound
    with pytest.raises(OptionError, match="fixed labels"):
        ast.with_labels(["a"])
    (scorer,) = ast.frame_scorers(hop_s=0.25)
    assert scorer.step_s == 0.25 and scorer.context_s == ast.window_s and scorer.labels == ast.labels


# --- the parsed model reference ---------------------------------------------------------------------


def test_references_are_parsed_once(model_dir, tmp_path):
    from earmark.registry import parse_ref

    folder = str(model_dir("ast"))
    assert parse_ref(f"{folder}@onnx-int8") == parse_ref(f"{folder}@onnx-int8")
    ref = parse_ref(f"{folder}@onnx-int8")
    assert (ref.target, ref.kind, ref.engine, ref.compute_type) == (folder, "folder", "onnx", "int8")
    assert parse_ref("keyword-spotting").target == "MIT/ast-finetuned-speech-commands-v2"
    assert parse_ref("keyword-spotting").kind == "task" and parse_ref("org/name").kind == "hub"
    assert parse_ref("birdnet").kind == "name" and parse_ref("whisper-base@ct2-int8").compute_type == "int8"
    wake = parse_ref("wake-word/alexa,wake-word/hey_jarvis@micro")  # @micro is a model name, not an engine
    assert wake.kind == "wake-word" and wake.engine is None and wake.wake_words[1] == "wake-word/hey_jarvis@micro"
    assert parse_ref("wake-word").target == "wake-word/alexa" and parse_ref("wake-word").kind == "task"
    (tmp_path / "m.tflite").write_bytes(b"")
    assert parse_ref(tmp_path / "m.tflite").kind == "file"


def test_suffixes_come_from_the_engine_table():
    from earmark.registry import engine_suffixes

    suffixes = engine_suffixes()
    assert suffixes["onnx-int8"] == ("onnx", "int8") and suffixes["ct2"] == ("ct2", None)
    assert "transformers-int8" not in suffixes and "micro" not in suffixes


def test_wake_word_references_are_combined_keeping_others():
    from earmark.registry import ModelRef, parse_ref

    refs = ModelRef.combine([parse_ref("wake-word/alexa"), parse_ref("org/x"), parse_ref("wake-word/ok_nabu")])
    assert [r.target for r in refs] == ["wake-word/alexa,wake-word/ok_nabu", "org/x"]


def test_a_suffix_equals_the_keywords(model_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path))
    folder = model_dir("ast")
    by_suffix = earmark.load(f"{folder}@onnx-int8")
    by_keywords = earmark.load(folder, engine="onnx", compute_type="int8")
    assert (
        (by_suffix.engine, by_suffix.compute_type) == (by_keywords.engine, by_keywords.compute_type) == ("onnx", "int8")
    )
    clip = np.sin(np.linspace(0, 800, 16000)).astype(np.float32)
    assert by_suffix(clip, sample_rate=16000).to_list() == by_keywords(clip, sample_rate=16000).to_list()
    with pytest.raises(OptionError, match="names compute_type 'int8' but compute_type='float32' was given"):
        earmark.load(f"{folder}@onnx-int8", compute_type="float32")
    pipe = earmark.pipeline("audio-classification", model=f"{folder}@onnx-int8")
    assert pipe.classifier.engine == "onnx" and pipe.classifier.compute_type == "int8"


# --- the engine contract: every option either takes effect or is refused before loading ----------


def _head_folder(model_dir, folder):
    """A head model on the tiny wav2vec2 encoder, written as earmark train writes one."""
    from earmark.engines.encoders import load_encoder
    from earmark.engines.head import TrainedHead

    encoder = str(model_dir("wav2vec2"))
    dim = load_encoder(encoder).frames(earmark.Audio(np.zeros(16000, np.float32), 16000)).shape[1]
    rng = np.random.default_rng(0)
    mean, scale = np.zeros(2 * dim, np.float32), np.ones(2 * dim, np.float32)
    folder.mkdir()
    TrainedHead("logistic", ("a", "b"), mean, scale, rng.standard_normal((2, 2 * dim)), np.zeros(2)).save(folder)
    (folder / "earmark.json").write_text(json.dumps({"type": "head", "encoder": encoder, "labels": ["a", "b"]}))
    return folder


def _export_folder(model_dir, out):
    from earmark.export import export

    return export(model_dir("ast"), out).folder  # float32: the precision the folder fixes


def _speakers_folder(out):
    from earmark.training.enroll import enroll

    folder = shared_path("data", "fsdd", "recordings")
    (out.parent / "speakers.csv").write_text(
        "path,label\n" + "".join(f"{folder}/{d}_{s}_0.wav,{s}\n" for s in ("lucas", "george") for d in range(2))
    )
    return enroll(out.parent / "speakers.csv", out).folder


def _reference(engine, model_dir, tmp_path):
    """A model each engine of the table takes here (real weights from their packages where offline)."""
    return {
        "exported": lambda: str(_export_folder(model_dir, tmp_path / "export")),
        "speakers": lambda: str(_speakers_folder(tmp_path / "speakers")),
        "head": lambda: str(_head_folder(model_dir, tmp_path / "head")),
        "wake-word": lambda: "wake-word/alexa",
        "mlcommons-kws": lambda: str(
            shared_path("models", "mlcommons_tiny", "keyword_spotting", "trained_models", "kws_ref_model.tflite")
        ),
        "ct2": lambda: "whisper-base",
        "birdnet": lambda: "birdnet",
        "musicnn": lambda: "musicnn-mtt",
        "onnx": lambda: str(model_dir("ast")),
        "transformers": lambda: str(model_dir("ast")),
    }[engine.name]()


REQUESTS = [
    {"compute_type": "float32"},
    {"compute_type": "int8"},
    {"compute_type": "float16"},
    {"device": "cuda"},
    {"device": "mps"},
    {"threads": 1},
]


@pytest.mark.parametrize(
    "engine_name",
    ["exported", "speakers", "head", "wake-word", "mlcommons-kws", "ct2", "birdnet", "musicnn", "onnx", "transformers"],
)
def test_every_option_of_every_engine_takes_effect_or_is_refused(
    engine_name, model_dir, tmp_path, monkeypatch, request
):
    import torch

    from earmark.options import device_kind
    from earmark.registry import engines

    monkeypatch.setenv("EARMARK_CACHE", str(tmp_path / "cache"))
    threads = torch.get_num_threads()
    request.addfinalizer(lambda: torch.set_num_threads(threads))  # threads=1 is process-wide for torch
    engine = next(e for e in engines() if e.name == engine_name)
    ref = _reference(engine, model_dir, tmp_path)
    for runtime in (engine.runtime, *engine.runtimes):
        for asked in REQUESTS:
            honoured = (
                asked.get("compute_type", runtime.compute_types[0]) in runtime.compute_types
                and device_kind(asked.get("device", "cpu")) in runtime.devices
                and ("threads" not in asked or runtime.threads)
                # an export runs the precision it was exported in (float32 here), none other
                and (not engine.precision_from_model or asked.get("compute_type", "float32") == "float32")
            )
            try:
                classifier = earmark.load(ref, engine=runtime.name, **asked)
            except OptionError as e:
                assert "\n" not in str(e) and (not honoured or "visible" in str(e) or "Metal" in str(e)), str(e)
                assert honoured or engine_name in str(e) or runtime.name in str(e), str(e)
                continue
            assert honoured, (runtime.name, asked)
            assert classifier.engine == engine_name
            assert classifier.compute_type == asked.get("compute_type", runtime.compute_types[0])
            assert classifier.device == asked.get("device", "cpu")


def test_a_refusal_says_where_the_option_runs(model_dir):
    with pytest.raises(OptionError) as info:
        earmark.load(model_dir("ast"), compute_type="int8")
    message = str(info.value)
    assert message.startswith("compute_type='int8': the transformers engine runs float32; it runs on ")
    assert f"({model_dir('ast')}@onnx-int8)" in message and "\n" not in message
    with pytest.raises(OptionError, match="device='cuda': the onnx engine runs on cpu only; it runs on transformers"):
        earmark.load(model_dir("ast"), engine="onnx", device="cuda")
    with pytest.raises(OptionError, match="this machine has 0 CUDA GPU"):
        earmark.load(model_dir("ast"), device="cuda")


def test_an_engine_without_thread_control_refuses_threads():
    from earmark.options import LoadOptions
    from earmark.registry import Engine, engines

    plain = Engine("plain", lambda ref: True, "nowhere:load")
    with pytest.raises(
        OptionError, match="threads=2: the plain engine does not set its threads; it runs on exported, speakers, head"
    ):
        plain.check("x", LoadOptions(threads=2), plain.runtime, (plain, *engines()))
    checked = plain.check("x", LoadOptions(), plain.runtime, (plain,))
    assert checked.compute_type == "float32" and checked.runtime == "plain"


def test_the_cli_refuses_what_an_engine_cannot_honour(model_dir, tmp_path):
    from typer.testing import CliRunner

    from earmark.cli import app

    audio = tmp_path / "a.wav"
    import soundfile as sf

    sf.write(audio, np.zeros(16000, np.float32), 16000)
    result = CliRunner().invoke(app, ["classify", str(audio), "-m", "wake-word/alexa", "--compute-type", "int8"])
    assert result.exit_code == 2 and "compute_type='int8': the wake-word engine runs float32" in result.stderr
    result = CliRunner().invoke(app, ["classify", str(audio), "-m", "birdnet", "--engine-option", "colour=red"])
    assert result.exit_code == 2 and "colour are not for the birdnet engine" in result.stderr
