"""Active learning and training from reviewed labels on real clips: every strategy suggests only
undecided windows; train --db writes a head model that classify runs, naming the right class."""

import json
from pathlib import Path

import pytest

from earmark.errors import OptionError
from earmark.index import Index
from earmark.index.labels import Labels
from earmark.index.suggest import suggest

from processes import run_earmark


def _label_two_per_class(db):
    index = Index(db)
    rows = index.rows()
    picked = []
    for cls in sorted({Path(r["path"]).parent.name for r in rows}):
        mine = [r for r in rows if Path(r["path"]).parent.name == cls]
        picked += [(r["id"], cls.split(" - ")[1], True) for r in mine[:2]]
    Labels(index).add(picked, source="test")
    return index, {p[0] for p in picked}


@pytest.mark.parametrize("strategy", ["margin", "top", "random", "diverse"])
def test_strategies_suggest_undecided_windows(fresh_index, strategy):
    index, decided = _label_two_per_class(fresh_index)
    picks = suggest(index, n=4, strategy=strategy)
    assert len(picks) == 4 and not {p.id for p in picks} & decided
    if strategy in ("margin", "diverse"):
        assert len({p.path for p in picks}) == 4  # one window per file a round
    if strategy == "margin":
        assert [p.margin for p in picks] == sorted(p.margin for p in picks)


def test_a_cold_start_ranks_by_similarity_and_bad_options_are_refused(fresh_index):
    index = Index(fresh_index)
    with pytest.raises(OptionError, match="no positive labels"):
        suggest(index)
    wid = index.rows(limit=1)[0]["id"]
    Labels(index).add([(wid, "dog", True)])
    picks = suggest(index, label="dog", n=3, strategy="top")
    assert len(picks) == 3 and wid not in {p.id for p in picks}
    with pytest.raises(OptionError, match="strategy"):
        suggest(index, strategy="best")
    with pytest.raises(OptionError, match="no decisions"):
        suggest(index, label="cat")


def test_train_from_the_index_then_classify(fresh_index, corpus, tmp_path):
    _label_two_per_class(fresh_index)
    rows = json.loads(run_earmark("suggest", "--db", str(fresh_index), "-n", "2", "--json").stdout.splitlines()[0])
    assert {"id", "path", "start_s", "end_s", "score"} <= set(rows)
    out = tmp_path / "model"
    done = run_earmark("train", "--db", str(fresh_index), "--out", str(out))
    assert "reviewed windows" in done.stdout
    config = json.loads((out / "earmark.json").read_text())
    assert config["encoder"] == "birdnet" and config["index"]["window_s"] == 3.0
    clip = corpus.read_text().splitlines()[4]  # the fourth dog bark
    import earmark

    model = earmark.load(out)
    assert set(model.labels) == {"Dog bark", "Rain", "Rooster"}
    assert model.classify(clip)[0].label == "Dog bark"
    assert model.window_s == 3.0
    segments = model.classify(clip, merge=False).timeline.segments  # the index's 3 s windows
    assert len(segments) >= 2 and segments[0].end_s - segments[0].start_s == pytest.approx(3.0, abs=0.01)


def test_calibrate_on_windows_reviewed_after_training(fresh_index, tmp_path):
    """calibrate --db uses the index's reviewed windows, and for a head trained from this index only
    the decisions made after it was trained (the earlier ones trained it)."""
    index, trained_on = _label_two_per_class(fresh_index)
    out = tmp_path / "model"
    run_earmark("train", "--db", str(fresh_index), "--out", str(out))
    later = []
    for cls in ("001 - Dog bark", "002 - Rain", "009 - Rooster"):
        mine = [r for r in index.rows() if Path(r["path"]).parent.name == cls and r["id"] not in trained_on]
        later += [(r["id"], cls.split(" - ")[1], True) for r in mine[:4]]
    Labels(index).add(later, source="review")
    done = run_earmark(
        "calibrate",
        "--db",
        str(fresh_index),
        "--model",
        str(out),
        "--target",
        "precision=0.5",
        "--min-examples",
        "3",
        "--confidence",
        "0",
        "--out",
        str(out),
        "--json",
    )
    written = json.loads(done.stdout)
    assert {k: v["positives"] for k, v in written["classes"].items()} == {"Dog bark": 4, "Rain": 4, "Rooster": 4}
    assert (out / "calibration.json").is_file() and written["thresholds"]
