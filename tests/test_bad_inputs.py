"""The bad-input corpus (tests/bad_inputs.py) through every path a user takes: the Python API,
``earmark classify`` on one file and on a folder of them all, ``earmark listen``, ``earmark evaluate``.

Each case has one documented outcome: a result, or an earmark error (the CLI: one line, exit 2), in
bounded time and memory, never a foreign traceback.
"""

import http.server
import json
import resource
import threading
import time

import numpy as np
import pytest
from typer.testing import CliRunner

import earmark
from earmark import AudioError, EarmarkError
from earmark.cli import app
from earmark.io.urls import UrlPolicy

import bad_inputs

CASES = bad_inputs.cases()
SECONDS_PER_CASE = 20.0
PEAK_RSS_BYTES = 4 * 1024**3
runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return {name: (expected, make(folder)) for name, expected, make in CASES}, folder


@pytest.fixture(scope="module")
def ast(model_dir):
    return earmark.load(model_dir("ast"))


def test_the_corpus_is_large_and_mixed():
    expected = [e for _, e, _ in CASES]
    assert len(CASES) >= 40 and expected.count("ok") >= 15 and expected.count("AudioError") >= 25


@pytest.mark.parametrize("name", [name for name, _, _ in CASES])
def test_python_api(name, corpus, ast):
    expected, path = corpus[0][name]
    started = time.monotonic()
    if expected == "ok":
        prediction = ast.classify(path)
        assert prediction.scores and 0 <= prediction.score <= 1
    else:
        with pytest.raises(EarmarkError) as info:
            ast.classify(path)
        assert type(info.value).__name__ == expected
        message = str(info.value)
        assert "\n" not in message and path in message  # one line, naming the input
    assert time.monotonic() - started < SECONDS_PER_CASE
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < PEAK_RSS_BYTES


@pytest.mark.parametrize("name", [name for name, _, _ in CASES])
def test_cli_classify_one_file(name, corpus, model_dir):
    expected, path = corpus[0][name]
    result = runner.invoke(app, ["classify", path, "--model", str(model_dir("ast")), "--json"])
    if expected == "ok":
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)[0]["label"]
    else:
        assert result.exit_code == 2
        assert result.stdout == "" and result.stderr.startswith("earmark: error: ")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", [name for name, _, _ in CASES if "minutes" not in name])
def test_cli_listen(name, corpus, model_dir):
    expected, path = corpus[0][name]
    args = ["listen", path, "--model", str(model_dir("ast")), "--vad-threshold", "0", "--jsonl"]
    result = runner.invoke(app, args)
    if expected == "ok":
        assert result.exit_code == 0, result.stderr
        assert all(json.loads(line)["label"] for line in result.stdout.splitlines())
    else:
        assert result.exit_code == 2 and result.stderr.startswith("earmark: error: ")
        assert "Traceback" not in result.stderr


def test_cli_folder_run_prints_every_good_file_and_lists_the_bad(corpus, model_dir):
    cases, folder = corpus
    result = runner.invoke(app, ["classify", str(folder), "--model", str(model_dir("ast")), "--jsonl"])
    assert result.exit_code == 2
    printed = {json.loads(line)["source"] for line in result.stdout.splitlines()}
    good = {path for expected, path in cases.values() if expected == "ok"}
    assert printed == good  # every good file, none lost behind a bad one
    bad_files = {p for e, p in cases.values() if e != "ok" and p.endswith(tuple(earmark.io.AUDIO_SUFFIXES))}
    bad_files -= {cases["directory"][1]}  # a folder is walked into, not classified
    listed = result.stderr.split("inputs failed:")[1]
    assert all(path in listed for path in bad_files)


def test_evaluate_records_failures_and_scores_the_rest(corpus, model_dir, tmp_path):
    cases, _ = corpus
    manifest = tmp_path / "all.jsonl"
    manifest.write_text("".join(json.dumps({"path": path, "label": "yes"}) + "\n" for _, path in cases.values()))
    report = tmp_path / "report.json"
    args = ["evaluate", str(manifest), "--model", str(model_dir("ast")), "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.stderr
    data = json.loads(report.read_text())
    expected_bad = sum(e != "ok" for e, _ in cases.values())
    assert data["failed_clips"] == expected_bad and data["clips"] == len(cases) - expected_bad
    assert {f["source"] for f in data["failed"]} == {p for e, p in cases.values() if e != "ok"}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="module")
def server():
    wav = bad_inputs.encoded("WAV", "PCM_16", 1.0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
                pass

        def _answer(self):
            if self.path == "/ok.wav":
                self._send(200, wav)
            elif self.path == "/big.wav":  # no Content-Length: the cap must hold while reading
                self.send_response(200)
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(bytes(1 << 20))
            elif self.path == "/drip.wav":  # one byte every half second, forever
                self.send_response(200)
                self.end_headers()
                for _ in range(120):
                    self.wfile.write(b"R")
                    self.wfile.flush()
                    time.sleep(0.5)
            elif self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/ok.wav")
                self.end_headers()
            else:
                self._send(404, b"not found")

        def _send(self, code, body):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_url_inputs(server, monkeypatch):
    from earmark.io.urls import fetch_url

    assert earmark.load_audio(f"{server}/ok.wav").duration_s == 1.0
    assert earmark.load_audio(f"{server}/redirect").duration_s == 1.0
    with pytest.raises(AudioError, match="404"):
        earmark.load_audio(f"{server}/missing.wav")
    with pytest.raises(AudioError, match="at most 1048576 bytes|over 1048576 bytes"):
        fetch_url(f"{server}/big.wav", UrlPolicy(max_bytes=1 << 20))
    started = time.monotonic()
    with pytest.raises(AudioError, match="took over 2 s"):
        fetch_url(f"{server}/drip.wav", UrlPolicy(deadline_s=2.0))
    assert time.monotonic() - started < 4.0
    with pytest.raises(AudioError, match="private or local address"):
        fetch_url(f"{server}/ok.wav", UrlPolicy(allow_private=False))
    with pytest.raises(AudioError, match="could not download"):
        earmark.load_audio("http://127.0.0.1:9/nothing-listens-here.wav")
    monkeypatch.setenv("EARMARK_URL_MAX_MB", "0.5")
    result = runner.invoke(app, ["show", f"{server}/big.wav"])
    assert result.exit_code == 2 and "bytes" in result.stderr and "Traceback" not in result.stderr


def test_a_redirect_may_not_lead_to_a_refused_address(server):
    from earmark.io.urls import _check_host

    with pytest.raises(AudioError, match="private or local"):
        _check_host("http://localhost/x.wav", UrlPolicy(allow_private=False))
    _check_host(f"{server}/ok.wav", UrlPolicy(allow_private=True))


def test_an_unreadable_file_is_one_line_saying_permission_denied(tmp_path):
    """As root every file is readable, so the check runs as an unprivileged user (setpriv, a real
    process with real file permissions)."""
    import shutil
    import subprocess
    import sys

    import soundfile as sf

    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    tmp_path.chmod(0o755)
    locked = folder / "locked.wav"
    sf.write(locked, np.zeros(1600, np.float32), 16000)
    locked.chmod(0o000)
    code = (
        "import earmark, sys\ntry:\n    earmark.load_audio(sys.argv[1])\n"
        "except earmark.AudioError as e:\n    print(e)\n"
    )
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code, str(locked)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode and "Permission denied" in done.stderr and "python" in done.stderr.lower():
        pytest.skip("the virtualenv is not readable by an unprivileged user here")
    assert done.stdout.strip() == f"{locked}: permission denied", done.stderr[-500:]
