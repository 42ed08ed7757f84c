"""Labels in the index: import by id, by time and from Raven tables, export, undo, bad rows refused
with nothing written, and two writers at once losing nothing."""

import multiprocessing

import pytest

from earmark.errors import OptionError
from earmark.index import Index
from earmark.index.labels import Labels, import_labels
from earmark.index.matching import overlaps

from processes import run_earmark


def _windows(db, path):
    return sorted(Index(db).rows(f"path = '{path}'"), key=lambda r: r["start_s"])


def test_import_by_id_by_time_and_raven_then_export(fresh_index, corpus, tmp_path):
    clips = corpus.read_text().splitlines()[1:]
    first = _windows(fresh_index, clips[0])
    by_id = tmp_path / "ids.csv"
    by_id.write_text(f"id,label,positive\n{first[0]['id']},dog,true\n{first[1]['id']},dog,false\n")
    by_time = tmp_path / "times.jsonl"
    by_time.write_text(f'{{"path": "{clips[4]}", "start_s": 0.2, "end_s": 1.2, "label": "rain"}}\n')
    raven = tmp_path / "rooster.selections.txt"
    raven.write_text(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tSpecies\tBegin Path\n"
        f"1\tSpectrogram 1\t1\t3.5\t5.0\trooster\t{clips[8]}\n"
    )
    result = import_labels(Index(fresh_index), [by_id, by_time, raven])
    assert result["rows"] == 4 and result["unmatched"] == 0
    counts = Labels(Index(fresh_index)).counts()
    assert counts["dog"] == {"positive": 1, "negative": 1}
    assert counts["rain"]["positive"] == 1  # 0.2-1.2 s lies in the 0-3 s window only
    assert counts["rooster"]["positive"] >= 1
    out = tmp_path / "labels.csv"
    run_earmark("labels", "export", "--db", str(fresh_index), "--out", str(out))
    text = out.read_text()
    assert text.startswith("path,start_s,end_s,label,positive,id") and text.count("\n") == 1 + sum(
        c["positive"] + c["negative"] for c in counts.values()
    )
    run_earmark("labels", "export", "--db", str(fresh_index), "--out", str(tmp_path / "raven"), "--raven")
    assert len(list((tmp_path / "raven").glob("*.selection.table.txt"))) == 3


def test_overlap_rule():
    assert overlaps((0, 3), (0.2, 1.2)) and not overlaps((1.5, 4.5), (0.2, 1.2))
    assert overlaps((0, 3), (1.4, 10)) and not overlaps((0, 3), (2.0, 10))


def test_undo_and_bad_rows(fresh_index, corpus, tmp_path):
    index = Index(fresh_index)
    labels = Labels(index)
    wid = index.rows(limit=1)[0]["id"]
    labels.add([(wid, "dog", True)], source="review")
    labels.add([(wid, "dog", False)], source="review")
    assert labels.undo(wid, "dog") is True and labels.current()[(wid, "dog")].positive is True
    assert labels.undo(wid, "dog") is None and (wid, "dog") not in labels.current()
    with pytest.raises(OptionError, match="no decision"):
        labels.undo(wid, "dog")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"id,label\n{wid},dog\nffffffffffffffff,dog\n")
    before = len(labels.log())
    with pytest.raises(OptionError, match="not in"):
        import_labels(index, [bad])
    assert len(labels.log()) == before  # nothing written
    done = run_earmark("labels", "import", str(tmp_path / "missing.csv"), "--db", str(fresh_index), check=False)
    assert done.returncode == 2 and "does not exist" in done.stderr


def _write_many(db, wids, label):
    labels = Labels(Index(db))
    for wid in wids:
        labels.add([(wid, label, True)], source="writer")


def test_two_writers_at_once_lose_nothing(fresh_index):
    wids = [r["id"] for r in Index(fresh_index).rows(limit=20)]
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(fresh_index), wids, name)) for name in ("a", "b")]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    counts = Labels(Index(fresh_index)).counts()
    assert counts["a"]["positive"] == 20 and counts["b"]["positive"] == 20
    assert len(Labels(Index(fresh_index)).log()) == 40
