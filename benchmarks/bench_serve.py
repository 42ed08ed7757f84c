"""Load and soak of `earmark serve`, on loopback only, bounded in count and time.

Load: 32 concurrent clients send real 1 s clips (Speech Commands) for a fixed number of requests to
  (a) earmark serve with dynamic batching, (b) earmark serve --max-batch-size 1, and (c) a minimal
  FastAPI server calling transformers.pipeline per request (what a user would write); throughput and
  p50/p95/p99 latency for each, same run, same model (wav2vec2-base architecture, random weights: no
  checkpoint can be downloaded here; speed does not depend on weight values).
  With --int8, (a) and (b) also run on the ONNX Runtime int8 engine (exported before the servers start).
Soak: after a warm-up of --soak-warmup mixed requests (every kind of request once through its code
  path, and the allocator's arenas grown), RSS is read; then 2,000 mixed requests to (a) - good, bad
  audio, oversize, unknown model, cancelled mid-upload - counting 5xx answers, and RSS read again.

    .venv/bin/python benchmarks/bench_serve.py [--requests 256] [--soak 2000] [--soak-warmup 400] [--int8]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

PIPELINE_SERVER = """
import asyncio, sys
from fastapi import FastAPI, Request
from transformers import pipeline
classify = pipeline("audio-classification", model=sys.argv[1], device="cpu")
app = FastAPI()

@app.post("/")
async def root(request: Request):
    body = await request.body()
    return await asyncio.to_thread(classify, body)

if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"server did not start: {command}")


async def load(url: str, bodies: list[bytes], clients: int) -> tuple[float, list[float], int]:
    import httpx

    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            response = await http.post(url, content=body, headers={"Content-Type": "audio/wav"})
            latencies.append(time.perf_counter() - started)
            failures += response.status_code != 200

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return time.perf_counter() - started, latencies, failures


async def soak(port: int, bodies: list[bytes], total: int) -> dict[str, int]:
    import httpx

    rng = np.random.default_rng(0)
    counts = {"2xx": 0, "4xx": 0, "5xx": 0, "cancelled": 0}
    base = f"http://127.0.0.1:{port}"

    async def one(http: httpx.AsyncClient, i: int) -> None:
        kind = i % 5
        if kind == 4:  # cancelled mid-upload: a Content-Length promise, half a body, then the socket closes
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = bodies[i % len(bodies)]
            head = f"POST /models/m HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"\r\n")
            writer.write(body[: len(body) // 2])
            await writer.drain()
            writer.close()
            counts["cancelled"] += 1
            return
        url, content = {
            0: (f"{base}/models/m", bodies[i % len(bodies)]),
            1: (f"{base}/models/m", rng.bytes(2000)),
            2: (f"{base}/models/m", bytes(3 * 1024 * 1024)),
            3: (f"{base}/models/nope", bodies[0]),
        }[kind]
        response = await http.post(url, content=content, headers={"Content-Type": "audio/wav"})
        counts[f"{response.status_code // 100}xx"] += 1

    async with httpx.AsyncClient(timeout=120) as http:
        for start_at in range(0, total, 32):
            await asyncio.gather(*(one(http, i) for i in range(start_at, min(total, start_at + 32))))
    return counts


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--soak", type=int, default=2000)
    parser.add_argument("--soak-warmup", type=int, default=400)
    parser.add_argument("--int8", action="store_true", help="also serve the model on ONNX Runtime int8")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    import psutil
    from bench_classify import build

    clips = sorted((SHARED / "speech_commands").rglob("*.wav"))[: args.requests]
    if not clips:
        raise SystemExit("needs ../shared/data/speech_commands")
    bodies = [p.read_bytes() for p in clips]
    bodies = (bodies * (args.requests // len(bodies) + 1))[: args.requests]
    with tempfile.TemporaryDirectory() as tmp:
        model = build("wav2vec2", Path(tmp))
        script = Path(tmp) / "pipeline_server.py"
        script.write_text(PIPELINE_SERVER)
        earmark = [sys.executable, "-m", "earmark", "serve", "--model", f"m={model}", "--max-body-mb", "2"]
        setups = {
            "earmark serve (dynamic batching)": (
                earmark + ["--max-batch-size", "16", "--max-wait-ms", "20"],
                "/models/m",
            ),
            "earmark serve --max-batch-size 1": (earmark + ["--max-batch-size", "1"], "/models/m"),
        }
        if args.int8:
            import earmark as library

            library.load(model, engine="onnx", compute_type="int8")  # export once, before the clock starts
            int8 = ["--engine", "onnx", "--compute-type", "int8"]
            setups["earmark serve (dynamic batching, ONNX int8)"] = (
                earmark + int8 + ["--max-batch-size", "16", "--max-wait-ms", "20"],
                "/models/m",
            )
            setups["earmark serve --max-batch-size 1, ONNX int8"] = (
                earmark + int8 + ["--max-batch-size", "1"],
                "/models/m",
            )
        setups["FastAPI + transformers.pipeline"] = ([sys.executable, str(script), model], "/")
        results = {}
        for name, (command, path) in setups.items():
            port = free_port()
            process = start(command + (["--port", str(port)] if "earmark" in command[2] else [str(port)]), port)
            try:
                asyncio.run(load(f"http://127.0.0.1:{port}{path}", bodies[:16], 16))  # warm-up
                wall, latencies, failures = asyncio.run(load(f"http://127.0.0.1:{port}{path}", bodies, args.clients))
                if name == "earmark serve (dynamic batching)" and args.soak:
                    asyncio.run(soak(port, bodies, args.soak_warmup))
                    rss_before = psutil.Process(process.pid).memory_info().rss
                    counts = asyncio.run(soak(port, bodies, args.soak))
                    asyncio.run(load(f"http://127.0.0.1:{port}{path}", bodies[:64], 16))
                    rss_after = psutil.Process(process.pid).memory_info().rss
                    soaked = (counts, rss_before, rss_after)
            finally:
                process.terminate()
                process.wait(timeout=60)
            results[name] = (len(bodies) / wall, latencies, failures)
            print(
                f"{name:34s} {len(bodies) / wall:6.1f} req/s | p50 {percentile(latencies, 50):6.0f} ms | "
                f"p95 {percentile(latencies, 95):6.0f} ms | p99 {percentile(latencies, 99):6.0f} ms | "
                f"non-200: {failures}",
                flush=True,
            )
        theirs = results["FastAPI + transformers.pipeline"]
        for name in [n for n in results if "dynamic batching" in n]:
            ours = results[name]
            p99 = (percentile(ours[1], 99), percentile(theirs[1], 99))
            print(
                f"{name} / pipeline server: {ours[0] / theirs[0]:.2f}x throughput; "
                f"p99 {p99[0]:.0f} ms vs {p99[1]:.0f} ms"
            )
        if args.soak:
            counts, before, after = soaked
            growth = (after - before) / before
            print(
                f"soak: {args.soak} mixed requests after {args.soak_warmup} of warm-up -> {counts}; "
                f"RSS {before / 1e6:.0f} -> {after / 1e6:.0f} MB ({growth:+.1%})"
            )


if __name__ == "__main__":
    main()
