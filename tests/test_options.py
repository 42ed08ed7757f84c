"""Options are validated when made: ClassifyOptions, LoadOptions, the label-list reader, replace()."""

import pytest

from earmark import OptionError
from earmark.options import ClassifyOptions, LoadOptions, device_kind, split_labels


@pytest.mark.parametrize(
    "bad",
    [
        {"top_k": 0},
        {"pooling": "median"},
        {"window_s": -1},
        {"hop_s": 1.0},
        {"window_s": 1, "hop_s": 2},
        {"abstain_below": 1.5},
        {"batch_size": 0},
        {"readahead": -1},
        {"sample_rates": (10, 5)},
        {"max_peak": 0},
    ],
)
def test_classify_options_refuse_bad_values(bad):
    with pytest.raises(OptionError):
        ClassifyOptions(**bad)


def test_replace_validates_and_names_unknown_fields():
    options = ClassifyOptions().replace(top_k=3, include="dog")
    assert options.top_k == 3 and options.include == ("dog",)  # a bare string is one label
    with pytest.raises(OptionError, match=r"unknown option\(s\) \['colour'\]"):
        options.replace(colour="red")
    with pytest.raises(OptionError, match="top_k=0"):
        options.replace(top_k=0)


def test_load_options_read_labels_and_engine_options_once():
    options = LoadOptions(labels="dog, cat", engine_options={"week": 20, "lat": None})
    assert options.labels == ("dog", "cat") and options.zero_shot
    assert options.engine_options == (("week", 20),) and options.option("week") == 20 and options.option("lat") is None
    assert LoadOptions(labels=["a", " b"]).labels == ("a", "b") and not LoadOptions().zero_shot
    assert LoadOptions().compute_type is None  # the engine's default, filled in by earmark.load


@pytest.mark.parametrize("bad", [{"device": "gpu"}, {"threads": 0}, {"threads": 1.5}])
def test_load_options_refuse_bad_values(bad):
    with pytest.raises(OptionError):
        LoadOptions(**bad)


def test_split_labels_and_device_kinds():
    assert split_labels(None) is None and split_labels("a,,b") == ("a", "", "b")  # an empty one is refused later
    assert [device_kind(d) for d in ("cpu", "cuda", "cuda:1", "mps")] == ["cpu", "cuda", "cuda", "mps"]
