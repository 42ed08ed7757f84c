"""earmark.pipeline takes the seed's transformers calls unchanged and returns the same lists."""

import numpy as np
import pytest
import soundfile as sf
import transformers

import earmark

from synthetic import noise, shared_path, tone


def same(ours, theirs):
    assert [x["label"] for x in ours] == [x["label"] for x in theirs]
    np.testing.assert_allclose([x["score"] for x in ours], [x["score"] for x in theirs], atol=1e-4)


@pytest.fixture(scope="module")
def pipes(model_dir):
    ours = earmark.pipeline("audio-classification", model=str(model_dir("wav2vec2")))
    theirs = transformers.pipeline("audio-classification", model=str(model_dir("wav2vec2")), device="cpu")
    return ours, theirs


def test_path_like_minds14(pipes, tmp_path):
    ours, theirs = pipes
    path = tmp_path / "call.wav"
    sf.write(path, tone(220, 1.2) + noise(1.2), 16000, subtype="FLOAT")
    array, rate = sf.read(path, dtype="float32")
    same(ours(str(path)), theirs({"array": array, "sampling_rate": rate}))


def test_dataset_sample_dict_copy(pipes):
    ours, theirs = pipes
    sample = {"audio": {"path": "a.wav", "array": noise(seed=4), "sampling_rate": 16000}}
    same(ours(sample["audio"].copy()), theirs(sample["audio"].copy()))
    assert "array" in sample["audio"]  # the caller's dict is not consumed


def test_bare_array_is_taken_at_the_model_rate_like_transformers(pipes):
    ours, theirs = pipes
    same(ours(noise(seed=2)), theirs(noise(seed=2)))


def test_top_k_and_function_per_call_and_at_init(pipes, model_dir):
    ours, theirs = pipes
    same(ours(noise(), top_k=2), theirs(noise(), top_k=2))
    same(ours(noise(), function_to_apply="sigmoid"), theirs(noise(), function_to_apply="sigmoid"))
    all_labels = earmark.pipeline("audio-classification", model=str(model_dir("wav2vec2")), top_k=None)
    assert len(all_labels(noise())) == 4


def test_list_input_gives_a_list_per_input(pipes):
    ours, theirs = pipes
    clips = [noise(0.5, seed=1), noise(0.9, seed=2)]
    for a, b in zip(ours(clips), theirs(clips)):
        same(a, b)


def test_datasets_audio_decoder_sample(pipes, tmp_path):
    datasets = pytest.importorskip("datasets")
    ours, theirs = pipes
    clip = sorted(shared_path("data", "speech_commands", "yes").glob("*.wav"))[0]
    (tmp_path / "yes").mkdir()
    (tmp_path / "yes" / clip.name).write_bytes(clip.read_bytes())
    sample = datasets.load_dataset("audiofolder", data_dir=str(tmp_path), split="train")[0]
    array, rate = sf.read(clip, dtype="float32")
    same(ours(sample["audio"]), theirs({"array": array, "sampling_rate": rate}))


def test_zero_shot_seed_call(model_dir):
    labels = ["Sound of a dog", "Sound of vacuum cleaner"]
    ours = earmark.pipeline(task="zero-shot-audio-classification", model=str(model_dir("clap")))
    theirs = transformers.pipeline(task="zero-shot-audio-classification", model=str(model_dir("clap")), device="cpu")
    audio_sample = noise(3.0, rate=48000, seed=8)
    same(ours(audio_sample, candidate_labels=labels), theirs(audio_sample, candidate_labels=labels))
    same(
        ours(audio_sample, candidate_labels=labels, hypothesis_template="{}"),
        theirs(audio_sample, candidate_labels=labels, hypothesis_template="{}"),
    )
    with pytest.raises(earmark.OptionError, match="candidate_labels"):
        ours(audio_sample)


def test_wrong_task_or_model(model_dir):
    with pytest.raises(earmark.OptionError, match="not supported"):
        earmark.pipeline("automatic-speech-recognition", model=str(model_dir("ast")))
    with pytest.raises(earmark.OptionError, match="not a zero-shot"):
        earmark.pipeline("zero-shot-audio-classification", model=str(model_dir("ast")))


def test_transformers_idioms(model_dir):
    """What users moving over from transformers write: device forms, dtype, attributes, lists with
    batch_size, generators and KeyDataset (returning a generator, as transformers does)."""
    import torch
    from transformers.pipelines.pt_utils import KeyDataset

    folder = str(model_dir("wav2vec2"))
    theirs = transformers.pipeline("audio-classification", model=folder, device="cpu")
    for device in (-1, "cpu", torch.device("cpu"), None):
        ours = earmark.pipeline("audio-classification", model=folder, device=device, dtype=torch.float32)
    assert ours.task == "audio-classification" and ours.model is not None and ours.feature_extractor is not None
    clips = [{"array": tone(200 + 100 * i, 1.0), "sampling_rate": 16000} for i in range(3)]
    batch = ours([dict(c) for c in clips], batch_size=2)
    expected = [theirs(dict(c)) for c in clips]
    for a, b in zip(batch, expected):
        same(a, b)
    generated = ours(dict(c) for c in clips)
    assert not isinstance(generated, list)
    for a, b in zip(generated, expected):
        same(a, b)
    rows = [{"audio": dict(c)} for c in clips]

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return len(rows)

        def __getitem__(self, i):
            return rows[i]

    for a, b in zip(ours(KeyDataset(Rows(), "audio")), expected):
        same(a, b)
    with pytest.raises(earmark.OptionError, match="device='gpu'"):
        earmark.pipeline("audio-classification", model=folder, device="gpu")
    with pytest.raises(earmark.OptionError, match="cuda"):
        earmark.pipeline("audio-classification", model=folder, device=0)
