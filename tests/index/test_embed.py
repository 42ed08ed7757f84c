"""earmark embed on real clips: one row per window of the generic plan with stable ids, a rerun adds
nothing, new files are added, another encoder or other windows refused, SIGKILL mid-run + rerun ==
uninterrupted (same ids and vectors), and --workers 2 or a real two-node Ray cluster gives the same rows."""

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from earmark.errors import OptionError
from earmark.index import EmbedOptions, Index, embed
from earmark.windows import plan_windows

from processes import RAY, RAY_ENV, kill_when_grown, ray_cluster, run_earmark


def _table(db):
    index = Index(db)
    ids, vectors = index.all_vectors()
    order = np.argsort(ids)
    return [ids[i] for i in order], vectors[order]


def test_every_window_once_with_the_plans_times(esc_index, corpus):
    index = Index(esc_index)
    assert index.settings.encoder == "birdnet" and index.settings.window_s == 3.0 and index.settings.hop_s == 1.5
    rows = index.rows()
    paths = corpus.read_text().splitlines()[1:]
    assert {r["path"] for r in rows} == set(paths)
    for path in paths:
        info = sf.info(path)
        want = [(a / 48000, b / 48000) for a, b in plan_windows(round(info.duration * 48000), 48000, 3.0, 1.5)]
        got = sorted((r["start_s"], r["end_s"]) for r in rows if r["path"] == path)
        assert np.allclose(got, want, atol=1e-3)
    assert len({r["id"] for r in rows}) == len(rows)


def test_rerun_adds_nothing_and_new_files_are_added(fresh_index, corpus, tmp_path):
    before = _table(fresh_index)
    again = embed([str(corpus)], fresh_index, EmbedOptions(encoder="birdnet"))
    assert again.added == 0 and again.resumed == again.units
    assert _table(fresh_index)[0] == before[0]
    new = tmp_path / "new.wav"
    audio, rate = sf.read(corpus.read_text().splitlines()[1])
    sf.write(new, audio[: rate * 4], rate)
    more = embed([str(corpus), str(new)], fresh_index, EmbedOptions(encoder="birdnet"))
    assert more.added == 2 and more.resumed == 12  # 4 s: windows at 0 and 1 s (end-aligned)
    assert len(Index(fresh_index)) == len(before[0]) + 2


def test_another_encoder_or_other_windows_are_refused(fresh_index, corpus):
    with pytest.raises(OptionError, match="holds vectors of encoder 'birdnet'; got 'musicnn'"):
        embed([str(corpus)], fresh_index, EmbedOptions(encoder="musicnn"))
    with pytest.raises(OptionError, match="window_s=3, hop_s=1.5"):
        embed([str(corpus)], fresh_index, EmbedOptions(encoder="birdnet", hop_s=1.0))
    done = run_earmark("embed", str(corpus), "--db", str(fresh_index), "--encoder", "musicnn", check=False)
    assert done.returncode == 2 and "birdnet" in done.stderr


def test_sigkill_mid_run_then_rerun_equals_uninterrupted(esc_index, corpus, tmp_path):
    db = tmp_path / "db"
    command = [sys.executable, "-m", "earmark", "embed", str(corpus), "--db", str(db), "--chunk", "2"]
    journal = db / "embed-journal.jsonl"
    assert kill_when_grown(command, journal, grown_by=3), "the run finished before it could be killed"
    partial = len(Index(db)) if (db / "index.json").is_file() else 0
    assert 0 < partial < len(Index(esc_index))
    run_earmark("embed", str(corpus), "--db", str(db), "--chunk", "2")
    ids, vectors = _table(db)
    want_ids, want_vectors = _table(esc_index)
    assert ids == want_ids
    np.testing.assert_allclose(vectors, want_vectors, atol=1e-5)


def test_two_workers_give_the_same_rows(esc_index, corpus, tmp_path):
    summary = embed([str(corpus)], tmp_path / "db", EmbedOptions(encoder="birdnet", workers=2, chunk=3))
    assert summary.errors == 0
    ids, vectors = _table(tmp_path / "db")
    want_ids, want_vectors = _table(esc_index)
    assert ids == want_ids
    np.testing.assert_allclose(vectors, want_vectors, atol=1e-5)


@pytest.mark.skipif(not os.path.exists(RAY), reason="ray is not installed (pip install 'earmark[ray]')")
def test_a_real_two_node_ray_cluster_gives_the_same_rows(esc_index, corpus, tmp_path):
    with ray_cluster() as address:
        args = ["embed", str(corpus), "--db", str(tmp_path / "db"), "--encoder", "birdnet"]
        args += ["--ray", "--address", address, "--workers", "2", "--chunk", "3"]
        done = subprocess.run(
            [sys.executable, "-m", "earmark", *args], capture_output=True, text=True, timeout=600, env=RAY_ENV
        )
        assert done.returncode == 0, done.stderr[-3000:]
    ids, vectors = _table(tmp_path / "db")
    want_ids, want_vectors = _table(esc_index)
    assert ids == want_ids
    np.testing.assert_allclose(vectors, want_vectors, atol=1e-5)


def test_a_damaged_file_is_an_error_and_the_rest_is_embedded(corpus, tmp_path):
    clip = corpus.read_text().splitlines()[1]
    audio, rate = sf.read(clip)
    broken = tmp_path / "broken.wav"
    sf.write(broken, audio, rate)
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) // 3])  # the header promises three times what is there
    done = run_earmark("embed", clip, str(broken), "--db", str(tmp_path / "db"), check=False)
    assert done.returncode == 2 and "broken.wav" in done.stderr and "1 errors" in done.stderr
    paths = {r["path"] for r in Index(tmp_path / "db").rows()}
    assert clip in paths
