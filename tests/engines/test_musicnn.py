"""musicnn without TensorFlow: the checkpoint reader, the torch network on the real weights, and tags
of real orchestral music (Debian's wesnoth-1.16-music, fetched by scripts/setup.sh, never in the repo)."""

import os
from pathlib import Path

import numpy as np
import pytest

import earmark
from earmark.engines.musicnn import MODELS, MSD_GENRES, MusicnnClassifier, log_mel
from earmark.engines.musicnn.checkpoint import read_checkpoint
from earmark.engines.packaged import package_folder
from earmark.errors import ModelError

from synthetic import noise, tone

pytest.importorskip("musicnn.configuration", reason="pip install --no-deps musicnn==0.1.0")

MUSIC = Path(os.environ.get("EARMARK_TEST_MUSIC", Path.home() / ".cache" / "earmark-test-data" / "music"))
TRACKS = MUSIC / "usr/share/games/wesnoth/1.16/data/core/music"
# The shapes musicnn's build_musicnn gives its variables (filters 1.6 x 128 = 204 and 1.6 x 32 = 51).
SHAPES = {
    "conv2d/kernel": (7, 38, 1, 204),
    "conv2d_1/kernel": (7, 67, 1, 204),
    "conv2d_2/kernel": (128, 1, 1, 51),
    "conv2d_3/kernel": (64, 1, 1, 51),
    "conv2d_4/kernel": (32, 1, 1, 51),
    "conv2d_5/kernel": (7, 561, 1, 64),
    "conv2d_6/kernel": (7, 64, 1, 64),
    "conv2d_7/kernel": (7, 64, 1, 64),
    "dense/kernel": (1506, 200),
    "dense_1/kernel": (200, 50),
    "batch_normalization/gamma": (1,),
    "batch_normalization_9/moving_mean": (1506,),
    "batch_normalization_10/beta": (200,),
}


def track(name: str) -> str:
    path = TRACKS / f"{name}.ogg"
    if not path.exists():
        pytest.skip(f"real music not available: {path} (scripts/setup.sh fetches wesnoth-1.16-music)")
    return str(path)


@pytest.mark.parametrize("folder", ["MTT_musicnn", "MSD_musicnn"])
def test_checkpoint_reader_loads_every_tensor(folder):
    tensors = read_checkpoint(f"{package_folder('musicnn', '', 'musicnn') / folder}/")
    # 11 batch norms x 4 + 8 convolutions x 2 + 2 dense x 2 = 64 variables, 2 Adam slots for each of the
    # 42 trained ones (moving statistics have none), and Adam's two power accumulators
    assert len(tensors) == 64 + 2 * 42 + 2
    for name, shape in SHAPES.items():
        assert tensors[name].shape == shape and tensors[name].dtype == np.float32
        assert np.isfinite(tensors[name]).all()
    for bn in range(11):
        name = "batch_normalization" + (f"_{bn}" if bn else "")
        assert (tensors[f"{name}/moving_variance"] > 0).all()


def test_checkpoint_reader_refuses_damaged_files(tmp_path):
    source = package_folder("musicnn", "", "musicnn") / "MTT_musicnn"
    (tmp_path / ".index").write_bytes((source / ".index").read_bytes()[:-10])
    (tmp_path / ".data-00000-of-00001").write_bytes(b"")
    with pytest.raises(ModelError, match="not a TensorFlow checkpoint index"):
        read_checkpoint(f"{tmp_path}/")
    (tmp_path / ".index").write_bytes((source / ".index").read_bytes())
    with pytest.raises(ModelError, match="truncated checkpoint"):
        read_checkpoint(f"{tmp_path}/")
    with pytest.raises(ModelError, match="missing"):
        read_checkpoint(f"{tmp_path / 'nothing'}/")


def test_interface_and_labels():
    mtt, msd, genre = (earmark.load(n) for n in ("musicnn-mtt", "musicnn-msd", "music-genre"))
    assert len(mtt.labels) == len(msd.labels) == 50 and mtt.multi_label and mtt.sample_rate == 16000
    assert mtt.labels[:3] == ("guitar", "classical", "slow") and msd.labels[:3] == ("rock", "pop", "alternative")
    assert genre.labels == MSD_GENRES and earmark.load("music-tagging").labels == mtt.labels
    assert set(MODELS) == {"musicnn-mtt", "musicnn-msd", "musicnn-msd-genre"}


def test_front_end_is_musicnns():
    """A 440 Hz tone lands in the mel band holding 440 Hz, after float16 rounding and log10(10000 x + 1)."""
    model = MusicnnClassifier("musicnn-mtt")
    audio = earmark.Audio(tone(440.0, seconds=3.0, rate=16000), 16000)
    (_, clip), *_ = model.clips(audio, model.default_options)
    mel = log_mel(clip, model.mel, model.window)
    assert mel.shape == (187, 96) and mel.dtype == np.float32
    assert int(np.argmax(mel[50])) == int(np.argmax(model.mel[round(440 / 16000 * 512)]))
    energy = (np.abs(np.fft.rfft(clip[:512] * model.window)) ** 2 @ model.mel).astype(np.float16)
    assert np.allclose(mel[0], np.log10(10000 * energy.astype(np.float32) + 1), atol=1e-5)


def test_patches_and_timeline():
    model = earmark.load("musicnn-mtt")
    p = model(noise(10.0, rate=16000), sample_rate=16000, top_k=None)
    assert len(p.timeline) == 3  # three whole patches of 187 frames in 10 s; the rest is left out, as musicnn does
    assert p.timeline.segments[1].start_s == pytest.approx(187 * 256 / 16000)
    mean = np.mean([[dict((s.label, s.score) for s in seg.scores)[t] for t in model.labels] for seg in p.timeline], 0)
    assert np.allclose([dict((s.label, s.score) for s in p.scores)[t] for t in model.labels], mean, atol=1e-6)
    short = model(noise(1.0, rate=16000), sample_rate=16000)  # padded to one patch
    assert short.timeline is None or len(short.timeline) <= 1
    assert np.isfinite(short.score)


def test_orchestral_music_gets_classical_tags():
    """Measured on these tracks: top MTT tags classical / strings / violin / slow."""
    model = earmark.load("musicnn-mtt")
    p = model(track("elvish-theme"), top_k=5)
    assert {"classical", "strings"} & set(s.label for s in p.scores[:3]), p.to_list()
    assert p.duration_s > 60 and len(p.timeline) > 10


def test_musicnn_encoder_gives_penultimate_features():
    from earmark.engines.encoders import load_encoder

    frames = load_encoder("musicnn").frames(earmark.Audio(noise(7.0, rate=44100), 44100))
    assert frames.shape == (2, 200) and np.isfinite(frames).all()
