"""Oversized bodies reach every client as the 413 JSON, even a client that writes the whole body before
it reads the answer (Python's urllib): the server reads and drops the rest of the body before it closes.
Run against a real ``earmark serve --max-body-mb 1`` process on loopback, 20 requests per client."""

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from processes import free_port, wait_ready

BODY = b"\0" * (2 * 1024 * 1024)  # 2 MB, twice the cap
TRIES = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    command = [sys.executable, "-m", "earmark", "serve", "-m", "alexa=wake-word/alexa", "--max-body-mb", "1"]
    process = subprocess.Popen([*command, "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}/ready")
        yield f"http://127.0.0.1:{port}/models/alexa"
    finally:
        process.terminate()
        process.wait(timeout=60)


def _urllib(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=BODY, headers={"Content-Type": "audio/wav"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _requests(url: str) -> tuple[int, dict]:
    import requests

    response = requests.post(url, data=BODY, headers={"Content-Type": "audio/wav"}, timeout=30)
    return response.status_code, response.json()


def _httpx(url: str) -> tuple[int, dict]:
    import httpx

    response = httpx.post(url, content=BODY, headers={"Content-Type": "audio/wav"}, timeout=30)
    return response.status_code, response.json()


def _curl(url: str) -> tuple[int, dict]:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            "-H",
            "Content-Type: audio/wav",
            "--data-binary",
            "@-",
            "-w",
            "\n%{http_code}",
            url,
        ],
        input=BODY,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    body, _, code = out.rpartition("\n")
    return int(code), json.loads(body)


def _chunked(url: str) -> tuple[int, dict]:
    """No Content-Length: the cap is found while the body streams in."""
    import httpx

    def pieces():
        for start in range(0, len(BODY), 64 * 1024):
            yield BODY[start : start + 64 * 1024]

    response = httpx.post(url, content=pieces(), headers={"Content-Type": "audio/wav"}, timeout=30)
    return response.status_code, response.json()


@pytest.mark.parametrize("client", [_urllib, _requests, _httpx, _curl, _chunked], ids=lambda c: c.__name__[1:])
def test_every_client_gets_the_413(server, client):
    if client is _curl and shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    answers = [client(server) for _ in range(TRIES)]
    assert [status for status, _ in answers] == [413] * TRIES
    assert all(body["type"] == "PayloadTooLarge" for _, body in answers)


def test_a_small_body_still_works_after_the_big_ones(server):
    import httpx

    assert httpx.post(server, content=b"x" * 100, headers={"Content-Type": "audio/wav"}).status_code == 400
