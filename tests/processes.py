"""Real processes for tests: a free loopback port, a server that is ready, a run killed with SIGKILL,
a two-node Ray cluster of ``ray start`` processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout_s: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} was not ready within {timeout_s} s")


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def kill_when_grown(command: list[str], watched: Path, grown_by: int, timeout_s: float = 120.0) -> bool:
    """Run ``command``; SIGKILL it as soon as ``watched`` has ``grown_by`` more lines (as a power cut
    would). Returns whether it was killed (False: it finished first)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before, killed = lines(watched), False
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        if lines(watched) >= before + grown_by:
            os.kill(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    process.wait(timeout=60)
    return killed


def run_earmark(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m earmark ARGS`` in a fresh process; with ``check``, a non-zero exit fails the test
    with its stderr."""
    done = subprocess.run([sys.executable, "-m", "earmark", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"earmark {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


RAY = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
# RAY_AUTH_MODE: a local `ray.init()` elsewhere on this machine leaves ~/.ray/auth_token, which would
# make the head ask the second node for a token it does not send; this cluster runs without one.
RAY_ENV = {**os.environ, "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0", "RAY_AUTH_MODE": "disabled"}


@contextlib.contextmanager
def ray_cluster() -> Iterator[str]:
    """A head and a second node (one CPU each) on loopback, stopped afterwards; yields the address.
    Run clients with ``env=RAY_ENV``."""
    port = 6390 + os.getpid() % 100
    head = [RAY, "start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false"]
    node = [RAY, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1"]
    try:
        for command in (head, node):
            started = subprocess.run(
                [*command, "--disable-usage-stats"], capture_output=True, text=True, timeout=180, env=RAY_ENV
            )
            assert started.returncode == 0, started.stderr[-2000:]
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)
