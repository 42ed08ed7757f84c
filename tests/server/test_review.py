"""The review API over a real index: audio and spectrograms only for windows in the index and files
inside the corpus (../, absolute paths, a symlink out of the corpus, unknown ids: 404), decisions
saved at once and undone, search by an uploaded example, suggest refilling the queue."""

import io
import os

import pytest
import soundfile as sf

from earmark.index import EmbedOptions, Index, embed
from earmark.index.labels import Labels

from synthetic import shared_path


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    esc = shared_path("data", "esc10")
    work = tmp_path_factory.mktemp("review")
    corpus = work / "corpus"
    corpus.mkdir()
    clips = sorted((esc / "001 - Dog bark").glob("*.ogg"))[:3] + sorted((esc / "002 - Rain").glob("*.ogg"))[:3]
    for clip in clips:
        os.symlink(clip, corpus / clip.name)  # a corpus folder of links into the shared data...
    outside = work / "outside.wav"
    audio, rate = sf.read(clips[-1])
    sf.write(outside, audio, rate)
    os.symlink(outside, corpus / "escape.wav")  # ...and one link to a file outside every corpus folder
    db = work / "db"
    manifest = work / "m.csv"
    manifest.write_text("path\n" + "".join(f"{corpus / c.name}\n" for c in clips) + f"{corpus / 'escape.wav'}\n")
    embed([str(manifest)], db, EmbedOptions(encoder="birdnet"))
    # the corpus folders are the folders of the files as given (corpus/), resolved; shared data links resolve
    # out of it too, so record the shared folders as the corpus the way a user embedding them directly would
    from earmark.index.listening import add_roots

    add_roots(Index(db), [str(c) for c in clips])
    return db, corpus


@pytest.fixture(scope="module")
def client(corpus_index):
    from fastapi.testclient import TestClient

    from earmark.server.app import create_app

    return TestClient(create_app([], review=Index(corpus_index[0])))


def _window(db, name):
    return next(r for r in Index(db).rows() if r["path"].endswith(name))


def test_audio_and_spectrogram_of_a_window(client, corpus_index):
    db, _ = corpus_index
    row = Index(db).rows(f"path LIKE '%{sorted(p.name for p in corpus_index[1].glob('*.ogg'))[0]}'")[0]
    audio = client.get(f"/review/api/windows/{row['id']}/audio.wav")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    samples, rate = sf.read(io.BytesIO(audio.content))
    assert (
        abs(len(samples) / rate - (row["end_s"] + 1.0 - max(0, row["start_s"] - 1.0))) < 0.05
        or len(samples) / rate <= 5.01
    )
    png = client.get(f"/review/api/windows/{row['id']}/spectrogram.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "path",
    [
        "/review/api/windows/..%2F..%2Fetc%2Fpasswd/audio.wav",
        "/review/api/windows/%2Fetc%2Fpasswd/audio.wav",
        "/review/api/windows/0123456789abcdef/audio.wav",
        "/review/api/windows/0123456789abcdef/spectrogram.png",
        "/review/api/windows/../../../etc/passwd",
    ],
)
def test_nothing_outside_the_index_is_served(client, path):
    assert client.get(path).status_code == 404


def test_a_symlink_out_of_the_corpus_is_404(client, corpus_index):
    db, _ = corpus_index
    row = _window(db, "escape.wav")
    assert client.get(f"/review/api/windows/{row['id']}/audio.wav").status_code == 404
    assert client.get(f"/review/api/windows/{row['id']}/spectrogram.png").status_code == 404


def test_decisions_undo_search_and_suggest(client, corpus_index):
    db, corpus = corpus_index
    rows = Index(db).rows()
    dog = [r for r in rows if "100032" in r["path"]]
    state = client.post("/review/api/decisions", json={"id": dog[0]["id"], "label": "dog", "positive": True}).json()
    assert state["counts"]["dog"] == {"positive": 1, "negative": 0}
    client.post("/review/api/decisions", json={"id": dog[1]["id"], "label": "dog", "positive": False})
    state = client.post("/review/api/undo", json={"id": dog[1]["id"], "label": "dog"}).json()
    assert state["counts"]["dog"] == {"positive": 1, "negative": 0}
    assert (
        client.post("/review/api/decisions", json={"id": "nope", "label": "dog", "positive": True}).status_code == 422
    )
    assert (
        client.post("/review/api/decisions", json={"id": dog[0]["id"], "label": "dog", "positive": "yes"}).status_code
        == 422
    )
    example = sorted(corpus.glob("*.ogg"))[0]
    with open(example, "rb") as f:
        state = client.post("/review/api/search", files={"file": (example.name, f, "audio/ogg")}).json()
    assert state["queue"][0]["path"].endswith(example.name) and state["queue"][0]["score"] > 0.95
    state = client.post("/review/api/suggest", json={"label": "dog", "strategy": "top", "n": 3}).json()
    assert len(state["queue"]) == 3 and dog[0]["id"] not in {w["id"] for w in state["queue"]}
    assert Labels(Index(db)).counts()["dog"]["positive"] == 1


def test_the_api_key_guards_everything_but_the_page(corpus_index):
    from fastapi.testclient import TestClient

    from earmark.server.app import ServeSettings, create_app

    guarded = TestClient(create_app([], ServeSettings(api_key="k"), review=Index(corpus_index[0])))
    assert guarded.get("/review").status_code == 200
    assert guarded.get("/review/api/state").status_code == 401
    assert guarded.get("/review/api/state", headers={"Authorization": "Bearer k"}).status_code == 200
