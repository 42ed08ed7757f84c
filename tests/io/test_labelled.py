"""Labelled audio in: folder per label, labels from file names, manifests."""

import json

import pytest
import soundfile as sf

from earmark import OptionError
from earmark.io.labelled import load_labelled

from synthetic import noise, shared_path


@pytest.mark.parametrize(
    ("folder", "count", "some_labels"),
    [
        ("esc10", 320, {"001 - Dog bark", "010 - Fire crackling"}),
        ("speech_commands", 300, {"yes", "marvin"}),
        ("wakewords", 480, {"alexa", "smart mirror"}),
    ],
)
def test_shared_folders_load_as_they_are(folder, count, some_labels):
    clips = load_labelled(shared_path("data", folder))
    assert len(clips) == count and some_labels <= {c.label for c in clips}


def test_fsdd_labels_from_the_file_name():
    clips = load_labelled(shared_path("data", "fsdd", "recordings"), label_pattern=r"^(\d+)_")
    assert len(clips) == 2500 and {c.label for c in clips} == {str(d) for d in range(10)}


def test_limit_and_seeded_shuffle():
    folder = shared_path("data", "speech_commands")
    a = load_labelled(folder, limit=5, shuffle=True, seed=1)
    assert a == load_labelled(folder, limit=5, shuffle=True, seed=1) != load_labelled(folder, limit=5)
    assert len(a) == 5


def test_manifests(tmp_path):
    sf.write(tmp_path / "a.wav", noise(2.0), 16000)
    (tmp_path / "m.csv").write_text("path,label,start_s,end_s\na.wav,dog,0.5,1.5\na.wav,cat,,\n")
    clips = load_labelled(tmp_path / "m.csv")
    assert [(c.label, c.start_s, c.end_s) for c in clips] == [("dog", 0.5, 1.5), ("cat", None, None)]
    assert clips[0].source == str(tmp_path / "a.wav") and clips[0].key != clips[1].key
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": str(tmp_path / "a.wav"), "label": "dog"}) + "\n")
    assert load_labelled(tmp_path / "m.jsonl")[0].label == "dog"
    (tmp_path / "bad.csv").write_text("path,kind\na.wav,dog\n")
    with pytest.raises(OptionError, match="row 1 needs 'path' and 'label'"):
        load_labelled(tmp_path / "bad.csv")


def test_bad_patterns_and_data(tmp_path):
    sf.write(tmp_path / "x.wav", noise(), 16000)
    with pytest.raises(OptionError, match="needs a group"):
        load_labelled(tmp_path, label_pattern=r"^\d+_")
    with pytest.raises(OptionError, match="does not match"):
        load_labelled(tmp_path, label_pattern=r"^(\d+)_")
    with pytest.raises(OptionError, match="not a valid regular expression"):
        load_labelled(tmp_path, label_pattern="(")
    with pytest.raises(OptionError, match="no labelled audio"):
        load_labelled(tmp_path)  # files at the top level have no label folder
    with pytest.raises(OptionError, match="not a folder"):
        load_labelled(tmp_path / "x.wav")


def test_json_label_file_with_a_dotted_field():
    clips = load_labelled(shared_path("data", "intent", "labels.json"), label_field="slots.coffeeDrink")
    assert len(clips) == 120 and len({c.label for c in clips}) == 10
    assert all(c.source.endswith(".wav") and "/audio/" in c.source for c in clips)


def test_json_label_file_errors(tmp_path):
    sf.write(tmp_path / "a.wav", noise(0.2), 16000)
    (tmp_path / "labels.json").write_text(json.dumps({"a.wav": {"intent": {"name": "x"}}}))
    with pytest.raises(OptionError, match="pass label_field"):
        load_labelled(tmp_path / "labels.json")
    assert load_labelled(tmp_path / "labels.json", label_field="intent.name")[0].label == "x"
    (tmp_path / "labels.json").write_text(json.dumps({"missing.wav": "x"}))
    with pytest.raises(OptionError, match="not next to it"):
        load_labelled(tmp_path / "labels.json")


def test_limit_is_a_sample_of_every_label(tmp_path):
    import soundfile as sf

    from synthetic import tone

    for label in ("a", "b", "c"):
        (tmp_path / label).mkdir()
        for i in range(5):
            sf.write(tmp_path / label / f"{i}.wav", tone(300, 0.1), 16000)
    picked = load_labelled(tmp_path, limit=6)
    assert sorted(c.label for c in picked) == ["a", "a", "b", "b", "c", "c"]
    assert [c.source for c in picked] == sorted(c.source for c in picked)  # still in the folder's order
