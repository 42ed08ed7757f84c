"""earmark serve: every endpoint and error status, parity with `earmark classify --json`, batching that
never changes a score, metrics, the WebSocket stream (also on a real wake-word recording), and a real
uvicorn process on loopback."""

import base64
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import earmark
from earmark.cli import app as cli
from earmark.server.app import ServedModel, ServeSettings, create_app

from processes import free_port, wait_ready
from synthetic import noise, shared_path, tone


def wav_bytes(samples, rate=16000):
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def served(model_dir):
    return [
        ServedModel("ast", str(model_dir("ast")), earmark.load(model_dir("ast"))),
        ServedModel("clap", str(model_dir("clap")), earmark.load(model_dir("clap"))),
        ServedModel("w2v", str(model_dir("wav2vec2")), earmark.load(model_dir("wav2vec2"))),
    ]


@pytest.fixture(scope="module")
def client(served):
    with TestClient(create_app(served, ServeSettings(max_body_bytes=2_000_000, max_wait_ms=20))) as c:
        yield c


def test_raw_body_equals_the_cli_json(client, model_dir, tmp_path):
    data = wav_bytes(tone(440, 1.3))
    (tmp_path / "a.wav").write_bytes(data)
    expected = json.loads(
        CliRunner().invoke(cli, ["classify", str(tmp_path / "a.wav"), "-m", str(model_dir("ast")), "--json"]).stdout
    )
    for kind in ("audio/wav", "application/octet-stream"):
        response = client.post("/models/ast", content=data, headers={"Content-Type": kind})
        assert response.status_code == 200 and response.json() == expected
    assert client.post("/", content=data, headers={"Content-Type": "audio/wav"}).json() == expected


def test_json_base64_with_parameters_and_query_strings(client):
    data = wav_bytes(noise(3.0))
    body = {"inputs": base64.b64encode(data).decode(), "parameters": {"top_k": 2, "window_s": 1.0}}
    response = client.post("/models/ast", json=body)
    assert response.status_code == 200 and len(response.json()) == 2
    timeline = client.post(
        "/models/ast?return_timeline=true&window_s=1.0", content=data, headers={"Content-Type": "audio/wav"}
    )
    assert len(timeline.json()["timeline"]) >= 1 and timeline.json()["duration_s"] == pytest.approx(3.0)


def test_zero_shot_takes_candidate_labels(client):
    data = wav_bytes(tone(300, 1.0))
    body = {"inputs": base64.b64encode(data).decode(), "parameters": {"candidate_labels": ["dog", "rain", "car"]}}
    response = client.post("/models/clap", json=body)
    assert response.status_code == 200 and {s["label"] for s in response.json()} == {"dog", "rain", "car"}
    query = client.post("/models/clap?candidate_labels=a,b", content=data, headers={"Content-Type": "audio/wav"})
    assert {s["label"] for s in query.json()} == {"a", "b"}


def test_multipart_openai_style(client):
    files = {"file": ("a.wav", wav_bytes(tone(440, 1.0)), "audio/wav")}
    response = client.post("/v1/audio/classification", files=files, data={"model": "ast", "top_k": "3"})
    assert response.status_code == 200
    assert response.json()["model"] == "ast" and len(response.json()["predictions"]) == 3


@pytest.mark.parametrize(
    ("request_kwargs", "path", "status", "kind"),
    [
        (
            {"content": b"not audio at all" * 10, "headers": {"Content-Type": "audio/wav"}},
            "/models/ast",
            400,
            "AudioError",
        ),
        ({"content": b"", "headers": {"Content-Type": "audio/wav"}}, "/models/ast", 400, "AudioError"),
        ({"content": b"x", "headers": {"Content-Type": "text/plain"}}, "/models/ast", 415, "UnsupportedMediaType"),
        ({"json": {"inputs": "https://example.org/a.wav"}}, "/models/ast", 400, "AudioError"),
        ({"json": {"inputs": "@@not base64@@"}}, "/models/ast", 400, "AudioError"),
        ({"json": {"nope": 1}}, "/models/ast", 422, "ParameterError"),
        ({"json": {"inputs": "AAAA", "parameters": {"top_k": 0}}}, "/models/ast", 422, "OptionError"),
        ({"json": {"inputs": "AAAA", "parameters": {"colour": "red"}}}, "/models/ast", 422, "OptionError"),
        (
            {"content": b"x" * 3_000_000, "headers": {"Content-Type": "audio/wav"}},
            "/models/ast",
            413,
            "PayloadTooLarge",
        ),
        ({"content": b"RIFF", "headers": {"Content-Type": "audio/wav"}}, "/models/nope", 404, "ModelNotFound"),
    ],
)
def test_client_errors_are_json_with_4xx(client, request_kwargs, path, status, kind):
    response = client.post(path, **request_kwargs)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "type"} and body["type"] == kind and "\n" not in body["error"]


def test_zero_shot_without_labels_and_labels_on_a_fixed_model_are_422(client):
    data = wav_bytes(tone(300, 1.0))
    assert client.post("/models/clap", content=data, headers={"Content-Type": "audio/wav"}).status_code == 422
    fixed = client.post("/models/ast?candidate_labels=a,b", content=data, headers={"Content-Type": "audio/wav"})
    assert fixed.status_code == 422


def test_concurrent_requests_are_batched_without_changing_a_score(client, served):
    inputs = [wav_bytes(noise(0.5 + 0.25 * (i % 3), seed=i)) for i in range(16)]  # unequal lengths too
    alone = [client.post("/models/w2v", content=d, headers={"Content-Type": "audio/wav"}).json() for d in inputs]
    with ThreadPoolExecutor(16) as pool:
        together = list(
            pool.map(
                lambda d: client.post("/models/w2v", content=d, headers={"Content-Type": "audio/wav"}).json(), inputs
            )
        )
    for a, b in zip(alone, together):
        assert [s["label"] for s in a] == [s["label"] for s in b]
        assert max(abs(x["score"] - y["score"]) for x, y in zip(a, b)) < 1e-6
    metrics = client.get("/metrics").text
    sizes = [
        line for line in metrics.splitlines() if line.startswith('earmark_batch_size_bucket{le="1.0",model="w2v"}')
    ]
    counts = [line for line in metrics.splitlines() if line.startswith('earmark_batch_size_count{model="w2v"}')]
    assert float(counts[0].split()[-1]) > float(sizes[0].split()[-1])  # some calls held more than one request


def test_a_full_queue_answers_429_with_retry_after(served):
    slow = ServedModel("ast", served[0].ref, served[0].classifier)
    settings = ServeSettings(max_queue=1, max_batch_size=1, max_wait_ms=0)
    with TestClient(create_app([slow], settings)) as c:
        original = slow.classifier.forward
        slow.classifier.forward = lambda clips: time.sleep(0.3) or original(clips)
        try:
            data = wav_bytes(tone(440, 1.0))
            with ThreadPoolExecutor(6) as pool:
                answers = list(
                    pool.map(lambda _: c.post("/", content=data, headers={"Content-Type": "audio/wav"}), range(6))
                )
        finally:
            del slow.classifier.forward
    statuses = sorted(a.status_code for a in answers)
    assert 200 in statuses and 429 in statuses
    assert all(a.headers.get("retry-after") == "1" for a in answers if a.status_code == 429)


def test_a_deadline_answers_504(served):
    slow = ServedModel("ast", served[0].ref, served[0].classifier)
    with TestClient(create_app([slow], ServeSettings(timeout_s=0.2))) as c:
        original = slow.classifier.forward
        slow.classifier.forward = lambda clips: time.sleep(0.6) or original(clips)
        try:
            response = c.post("/", content=wav_bytes(tone(440, 1.0)), headers={"Content-Type": "audio/wav"})
        finally:
            del slow.classifier.forward
        time.sleep(0.8)  # the slow batch finishes after its request was answered 504
        later = c.post("/", content=wav_bytes(tone(440, 1.0)), headers={"Content-Type": "audio/wav"})
    assert response.status_code == 504 and response.json()["type"] == "Timeout"
    assert later.status_code == 200  # the batch thread lived on past the cancelled request


def test_operations_endpoints(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["ready"] is True
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert models["ast"]["labels"] == ["yes", "no", "up", "down"] and models["ast"]["sample_rate"] == 16000
    assert models["clap"]["zero_shot"] and models["clap"]["task"] == "zero-shot-audio-classification"
    client.post("/models/ast", content=wav_bytes(tone(440, 1.0)), headers={"Content-Type": "audio/wav"})
    metrics = client.get("/metrics").text
    for name in (
        "earmark_requests_total",
        "earmark_request_seconds_bucket",
        "earmark_queue_size",
        "earmark_audio_seconds_total",
    ):
        assert name in metrics
    page = client.get("/")
    assert page.status_code == 200 and "<title>earmark</title>" in page.text and "/v1/listen" in page.text


def test_an_api_key_is_required_when_set(served):
    with TestClient(create_app(served[:1], ServeSettings(api_key="s3cret"))) as c:
        data = wav_bytes(tone(440, 1.0))
        assert c.post("/", content=data, headers={"Content-Type": "audio/wav"}).status_code == 401
        assert (
            c.post("/", content=data, headers={"Content-Type": "audio/wav", "Authorization": "Bearer nope"}).status_code
            == 401
        )
        ok = c.post("/", content=data, headers={"Content-Type": "audio/wav", "Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and c.get("/health").status_code == 200


def test_websocket_streams_events_and_flushes(client):
    samples = (np.concatenate([np.zeros(8000), tone(440, 1.0), np.zeros(8000)]) * 32767).astype("<i2")
    with client.websocket_connect("/v1/listen?model=ast&vad_threshold=0&threshold=0.0") as ws:
        for start in range(0, len(samples), 777):  # odd chunk sizes
            ws.send_bytes(
                samples[start : start + 777].tobytes()[:-1] if start == 0 else samples[start : start + 777].tobytes()
            )
        ws.send_text(json.dumps({"type": "flush"}))
        messages = []
        while True:
            message = json.loads(ws.receive_text())
            messages.append(message)
            if message.get("type") == "flushed":
                break
    events = messages[:-1]
    assert events and all(set(e) == {"label", "score", "start_s", "end_s"} for e in events)


def test_websocket_wake_word_equals_earmark_listen(tmp_path):
    recording = shared_path("data", "wakewords", "alexa")
    path = sorted(recording.glob("*.flac"))[0]
    audio = earmark.load_audio(path).mono().resample(16000)
    cli_result = CliRunner().invoke(cli, ["listen", str(path), "--model", "wake-word/alexa", "--jsonl"])
    expected = [json.loads(line) for line in cli_result.stdout.splitlines()]
    assert expected, "the recording should wake alexa"
    model = ServedModel("alexa", "wake-word/alexa", earmark.load("wake-word/alexa"))
    with TestClient(create_app([model])) as c, c.websocket_connect("/v1/listen?model=alexa&sample_rate=16000") as ws:
        pcm = np.clip(np.round(audio.samples * 32768), -32768, 32767).astype("<i2").tobytes()
        for start in range(0, len(pcm), 2560):
            ws.send_bytes(pcm[start : start + 2560])
        ws.send_text(json.dumps({"type": "flush"}))
        got = []
        while (message := json.loads(ws.receive_text())).get("type") != "flushed":
            got.append(message)
    assert [(e["label"], e["end_s"]) for e in got] == [(e["label"], e["end_s"]) for e in expected]
    assert max(abs(a["score"] - b["score"]) for a, b in zip(got, expected)) < 0.02  # int16 PCM vs float


def test_websocket_bad_model_is_an_error_message(client):
    with client.websocket_connect("/v1/listen?model=nope") as ws:
        assert json.loads(ws.receive_text())["type"] == "KeyError"


def test_a_real_server_process_on_loopback(model_dir, monkeypatch):
    port = free_port()
    command = [sys.executable, "-m", "earmark", "serve", "--model", f"ast={model_dir('ast')}", "--port", str(port)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        import httpx

        wait_ready(f"http://127.0.0.1:{port}/ready")
        response = httpx.post(
            f"http://127.0.0.1:{port}/models/ast",
            content=wav_bytes(tone(440, 1.0)),
            headers={"Content-Type": "audio/wav"},
        )
        assert response.status_code == 200 and len(response.json()) == 4
        from huggingface_hub import InferenceClient, constants  # what Hugging Face client code already calls

        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the tests' offline switch; this is loopback

        elements = InferenceClient(base_url=f"http://127.0.0.1:{port}/models/ast").audio_classification(
            wav_bytes(tone(440, 1.0))
        )
        assert [(e.label, round(e.score, 6)) for e in elements] == [
            (s["label"], round(s["score"], 6)) for s in response.json()
        ]
    finally:
        process.terminate()
        code = process.wait(timeout=60)
    log = process.stderr.read().decode()
    # graceful: uvicorn finishes, then re-raises SIGTERM so the parent sees how it ended
    assert code in (0, -15) and "Finished server process" in log, log[-2000:]
