"""The review page in a real browser (Debian's chromium driven by Playwright): search by an example
clip, play a window, accept 5, reject 3, retrain - the queue changes - and the decisions survive a
reload. Screenshots go to tests/artifacts. Skips only when chromium or playwright is not there."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from processes import free_port, wait_ready

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
ARTIFACTS = Path(os.environ.get("EARMARK_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


@pytest.fixture
def server(fresh_index):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "earmark", "review", "--db", str(fresh_index), "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}/ready")
    yield f"http://127.0.0.1:{port}/review"
    process.terminate()
    process.wait(timeout=60)


def _count(page, label, column):
    cell = page.locator(f'#counts tr[data-label="{label}"] td:nth-child({column})')
    return cell.inner_text() if cell.count() else "0"


def _wait_count(page, label, yes, no):
    page.wait_for_function(
        """([label, yes, no]) => {
            const row = document.querySelector(`#counts tr[data-label="${label}"]`);
            return row && row.children[1].textContent == String(yes) && row.children[2].textContent == String(no);
        }""",
        arg=[label, yes, no],
        timeout=30000,
    )


def test_search_listen_decide_retrain_reload(server, corpus):
    playwright = pytest.importorskip("playwright.sync_api")
    example = corpus.read_text().splitlines()[1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"]
        )
        page = browser.new_page()
        page.goto(server)
        page.set_input_files("#file", example)
        page.click("#search-file")
        page.wait_for_selector("#queue li", timeout=60000)
        assert page.locator("#queue li").count() == 20  # the page asks for the 20 nearest windows
        assert Path(example).name in page.locator("#queue li").first.inner_text()
        page.wait_for_function("document.getElementById('spectrogram').naturalWidth > 0", timeout=30000)
        page.wait_for_function("document.getElementById('player').src.startsWith('blob:')", timeout=30000)
        page.evaluate("document.getElementById('player').play()")
        page.wait_for_function("document.getElementById('player').currentTime > 0.2", timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "review-search.png"), full_page=True)
        page.fill("#label", "Dog bark")
        page.locator("body").click(position={"x": 5, "y": 5})
        for n in range(1, 6):
            page.keyboard.press("a")
            _wait_count(page, "Dog bark", n, 0)
        for n in range(1, 4):
            page.keyboard.press("r")
            _wait_count(page, "Dog bark", 5, n)
        before = page.locator("#queue li").evaluate_all("items => items.map(i => i.dataset.id)")
        page.click("#retrain")
        page.wait_for_function(
            "ids => [...document.querySelectorAll('#queue li')].map(i => i.dataset.id).join() != ids.join()",
            arg=before,
            timeout=60000,
        )
        after = page.locator("#queue li").evaluate_all("items => items.map(i => i.dataset.id)")
        assert after and after != before and "suggest margin" in page.inner_text("#source")
        page.screenshot(path=str(ARTIFACTS / "review-retrained.png"), full_page=True)
        page.reload()
        _wait_count(page, "Dog bark", 5, 3)  # every decision was saved at once
        assert page.locator("#queue li").evaluate_all("items => items.map(i => i.dataset.id)") == after
        page.screenshot(path=str(ARTIFACTS / "review-reloaded.png"), full_page=True)
        browser.close()
