import json

import pytest

from earmark import OptionError, Prediction, Score, Segment, Timeline

TIMELINE = Timeline((Segment(0.0, 1.5, (Score("dog", 0.75),)), Segment(1.5, 3.0, (Score("rain", 0.5),))))


def test_prediction_has_the_pipeline_shape():
    p = Prediction((Score("yes", 0.9), Score("no", 0.1)))
    assert p.to_list() == [{"score": 0.9, "label": "yes"}, {"score": 0.1, "label": "no"}]
    assert json.loads(p.to_json()) == p.to_list()
    assert p.label == "yes" and p.score == 0.9 and p[1].label == "no" and len(p) == 2


def test_empty_prediction_after_threshold():
    p = Prediction(())
    assert p.label is None and p.to_list() == []


def test_timeline_exports(tmp_path):
    assert json.loads(TIMELINE.to_json())[1] == {
        "start_s": 1.5,
        "end_s": 3.0,
        "scores": [{"score": 0.5, "label": "rain"}],
    }
    assert TIMELINE.to_csv().splitlines() == [
        "start_s,end_s,label,score",
        "0.000,1.500,dog,0.750000",
        "1.500,3.000,rain,0.500000",
    ]
    assert TIMELINE.to_audacity().splitlines()[0] == "0.000000\t1.500000\tdog"
    for ext in ("json", "csv", "txt"):
        TIMELINE.export(str(tmp_path / f"t.{ext}"))
        assert (tmp_path / f"t.{ext}").stat().st_size > 0
    with pytest.raises(OptionError, match="unknown extension"):
        TIMELINE.export(str(tmp_path / "t.xml"))


def test_to_dict_includes_timeline_only_when_there_is_one():
    p = Prediction((Score("a", 1.0),), source="x.wav", duration_s=3.0, timeline=TIMELINE)
    assert set(p.to_dict()) == {"source", "duration_s", "scores", "timeline"}
    assert "timeline" not in Prediction((Score("a", 1.0),)).to_dict()
    assert "<table>" in p._repr_html_()
