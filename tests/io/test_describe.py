"""earmark show: facts about a recording, its picture, and notebook rendering."""

import json
import struct

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from earmark import Audio, Prediction, Score
from earmark.cli import app
from earmark.io.describe import describe, plot_audio

from synthetic import tone


def test_describe_a_tone():
    info = describe(Audio(np.stack([tone(440, 2.0), np.zeros(32000, np.float32)]), 16000, "t.wav"))
    assert (info.duration_s, info.sample_rate, info.channels) == (2.0, 16000, 2)
    assert info.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert info.rms_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2) / np.sqrt(2)), abs=0.01)
    assert describe(Audio(np.zeros(10, np.float32), 16000)).rms_dbfs == -120.0


def test_plot_png_size(tmp_path):
    pytest.importorskip("matplotlib")
    plot_audio(Audio(tone(seconds=1.0), 16000), tmp_path / "a.png")
    header = (tmp_path / "a.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1000, 600)


def test_cli_show(tmp_path):
    sf.write(tmp_path / "a.wav", tone(seconds=1.5), 8000)
    result = CliRunner().invoke(app, ["show", str(tmp_path / "a.wav"), "--json", "--plot", str(tmp_path / "a.png")])
    assert result.exit_code == 0 and json.loads(result.stdout)["sample_rate"] == 8000
    assert (tmp_path / "a.png").stat().st_size > 1000
    missing = CliRunner().invoke(app, ["show", str(tmp_path / "nope.wav")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_notebook_rendering():
    html = Audio(tone(), 16000)._repr_html_()
    assert "<audio controls" in html and "data:audio/wav;base64," in html
    assert "<td>yes</td>" in Prediction((Score("yes", 0.9),))._repr_html_()
