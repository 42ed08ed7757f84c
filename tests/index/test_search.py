"""Search by example on real clips (a clip's own windows first, the same class next), FILE@START-END,
id:, negatives, --where; --text refused for an audio-only index and working on a tiny random CLAP."""

import json
from pathlib import Path

import numpy as np
import pytest

from earmark.errors import OptionError
from earmark.index import EmbedOptions, Index, embed

from processes import run_earmark


def _clips(corpus):
    return corpus.read_text().splitlines()[1:]


def test_an_example_finds_its_own_windows_then_its_class(esc_index, corpus):
    index = Index(esc_index)
    clip = _clips(corpus)[0]  # a dog bark
    hits = index.search([clip], top_k=5)
    assert hits[0].path == clip and hits[0].score > 0.95
    others = index.search([clip], top_k=5, where=f"path != '{clip}'")
    assert all(h.path != clip for h in others)
    assert sum(Path(h.path).parent.name == "001 - Dog bark" for h in others) >= 3
    assert [h.score for h in others] == sorted((h.score for h in others), reverse=True)


def test_a_part_of_a_file_an_id_and_negatives(esc_index, corpus):
    index = Index(esc_index)
    clip = _clips(corpus)[5]
    first = index.search([f"{clip}@0-3"], top_k=1)[0]
    assert first.path == clip and first.start_s == 0.0
    assert index.search([f"id:{first.id}"], top_k=1)[0].id == first.id
    rain = _clips(corpus)[4]
    plain = index.search([clip], top_k=12)
    pushed = index.search([clip], negatives=[rain], top_k=12)
    rank = lambda hits: sum(h.path == rain for h in hits)  # noqa: E731
    assert rank(pushed) <= rank(plain)
    with pytest.raises(OptionError, match="END must be after START"):
        index.search([f"{clip}@3-1"])
    with pytest.raises(OptionError, match="no window with that id"):
        index.search(["id:0000000000000000"])


def test_cli_jsonl_rows(esc_index, corpus):
    done = run_earmark("search", "--db", str(esc_index), "--example", _clips(corpus)[0], "-k", "3", "--json")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3 and {"id", "path", "start_s", "end_s", "score"} <= set(rows[0])


def test_text_is_refused_for_an_audio_only_index(esc_index):
    done = run_earmark("search", "--db", str(esc_index), "--text", "a dog barking", check=False)
    assert done.returncode == 2
    assert "CLAP encoder" in done.stderr and "'birdnet'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_text_search_on_a_tiny_clap(model_dir, corpus, tmp_path):
    clap = model_dir("clap")
    db = tmp_path / "db"
    summary = embed(_clips(corpus)[:3], db, EmbedOptions(encoder=str(clap), window_s=2.0))
    assert summary.added > 0
    index = Index(db)
    hits = index.search(text="a dog barking", top_k=3)
    assert len(hits) == 3
    # the score is the cosine with the text tower's embedding, computed independently here
    from earmark.index.query import text_vector

    query = text_vector(index, "a dog barking")
    ids, vectors = index.all_vectors()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    best = ids[int(np.argmax(unit @ query))]
    assert hits[0].id == best
