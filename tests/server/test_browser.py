"""The browser page in a real browser: Debian's chromium driven by Playwright, with a real alexa
recording as the fake microphone. Skips cleanly only when chromium or playwright is not there."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

import earmark

from processes import free_port, wait_ready
from synthetic import shared_path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
ARTIFACTS = Path(os.environ.get("EARMARK_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


@pytest.fixture(scope="module")
def server(model_dir):
    port = free_port()
    models = ["--model", "alexa=wake-word/alexa", "--model", f"tiny={model_dir('ast')}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "earmark", "serve", *models, "--port", str(port)], stderr=subprocess.DEVNULL
    )
    wait_ready(f"http://127.0.0.1:{port}/ready")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=60)


@pytest.fixture(scope="module")
def alexa_wav(tmp_path_factory):
    """A real alexa recording as 16 kHz WAV with a second of silence either side (chromium loops it)."""
    source = sorted(shared_path("data", "wakewords", "alexa").glob("*.flac"))[0]
    audio = earmark.load_audio(source).mono().resample(16000).samples
    import numpy as np

    path = tmp_path_factory.mktemp("mic") / "alexa.wav"
    sf.write(path, np.concatenate([np.zeros(16000), audio, np.zeros(16000)]), 16000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def page(alexa_wav):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={alexa_wav}",
                "--autoplay-policy=no-user-gesture-required",
                "--no-sandbox",
            ],
        )
        yield browser.new_page()
        browser.close()


def test_upload_shows_top_k_bars(server, page, alexa_wav):
    page.goto(server)
    page.wait_for_selector("#model option", state="attached")
    page.select_option("#model", "alexa")
    page.set_input_files("#file", str(alexa_wav))
    page.wait_for_selector(".bar", timeout=30000)
    assert page.locator(".bar").first.get_attribute("data-label") == "alexa"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-upload.png"), full_page=True)


def test_microphone_streams_to_the_server_and_shows_the_alexa_event(server, page):
    page.goto(server)
    page.wait_for_selector("#model option", state="attached")
    page.select_option("#model", "alexa")
    page.click("#stream")
    page.wait_for_selector('li.event[data-label="alexa"]', timeout=60000)
    page.screenshot(path=str(ARTIFACTS / "page-stream.png"), full_page=True)
    page.click("#stream")
