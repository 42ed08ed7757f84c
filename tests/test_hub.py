"""earmark models search against a local stand-in for the Hub API on loopback (HF_ENDPOINT)."""

import http.server
import json
import os
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlparse

import pytest

MODELS = [
    {
        "id": "MIT/ast-finetuned-speech-commands-v2",
        "downloads": 5000,
        "likes": 12,
        "pipeline_tag": "audio-classification",
    },
    {"id": "superb/wav2vec2-base-superb-ks", "downloads": 900, "likes": 3, "pipeline_tag": "audio-classification"},
]


@pytest.fixture
def stand_in():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            seen.append((url.path, parse_qs(url.query)))
            body = json.dumps(MODELS if url.path == "/api/models" else {"error": "not found"}).encode()
            self.send_response(200 if url.path == "/api/models" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def run_cli(*args, endpoint):
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"} | {"HF_ENDPOINT": endpoint}
    return subprocess.run([sys.executable, "-m", "earmark", *args], capture_output=True, text=True, env=env, timeout=60)


def test_search_by_task_and_dataset(stand_in):
    endpoint, seen = stand_in
    result = run_cli("models", "search", "--dataset", "speech_commands", "--limit", "5", "--json", endpoint=endpoint)
    assert result.returncode == 0, result.stderr
    assert [m["id"] for m in json.loads(result.stdout)] == [m["id"] for m in MODELS]
    path, query = seen[-1]
    assert path == "/api/models" and query["pipeline_tag"] == ["audio-classification"]
    assert query["filter"] == ["dataset:speech_commands"] and query["sort"] == ["downloads"] and query["limit"] == ["5"]


def test_offline_is_one_line_and_exit_2():
    result = run_cli("models", "search", "--dataset", "speech_commands", endpoint="http://127.0.0.1:9")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "cannot be reached" in result.stderr


def test_bad_sort():
    result = run_cli("models", "search", "--sort", "stars", endpoint="http://127.0.0.1:9")
    assert result.returncode == 2 and "sort='stars'" in result.stderr
