"""Real-browser smoke test: Debian's Chromium, driven by Playwright, against a live `streamlit run`.

Opens the app, starts a run on the pretrain page with the default settings (what a teacher does
first), checks the MLM chart changes between two screenshots, stops the run, and clicks through the
other pages. Screenshots go to a temp folder (or `$BERT_EXPLORER_SHOTS` to keep them).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = dict(os.environ, BERT_EXPLORER_RUNS=str(tmp / "runs"), BERT_EXPLORER_UPLOADS=str(tmp / "uploads"),
               HF_HUB_OFFLINE="1")
    with open(tmp / "server.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "explorer/app.py", "--server.port",
                                 str(port), "--server.address", "localhost", "--server.headless", "true"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"streamlit did not start:\n{(tmp / 'server.log').read_text()}")
            time.sleep(0.3)
    yield url, tmp
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


def _shots(tmp: Path) -> Path:
    folder = Path(os.environ.get("BERT_EXPLORER_SHOTS", tmp / "shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def _wait_idle(page, timeout: float = 30.0) -> None:
    """Wait until Streamlit's 'running' indicator is gone."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout * 1000)


def test_start_watch_stop_and_click_through(server, page) -> None:
    url, tmp = server
    shots = _shots(tmp)
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    page.get_by_text("Try this first").wait_for(timeout=30_000)
    page.get_by_text("Active model").wait_for(timeout=30_000)
    _wait_idle(page)
    _no_exception(page)
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    page.get_by_role("link", name="Pretrain").first.click()
    page.get_by_role("heading", name="Pretrain a BERT").wait_for(timeout=30_000)
    page.get_by_text("documents").first.wait_for(timeout=30_000)  # corpus statistics
    page.get_by_role("button", name="Start").click()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    first = chart.screenshot(path=str(shots / "mlm_chart_1.png"))
    page.screenshot(path=str(shots / "pretrain_running.png"), full_page=True)
    deadline = time.monotonic() + 60
    while True:  # the fragment redraws every second; wait for a few more steps
        page.wait_for_timeout(3000)
        second = chart.screenshot(path=str(shots / "mlm_chart_2.png"))
        if second != first or time.monotonic() > deadline:
            break
    assert second != first, "the MLM chart did not change while training"
    _no_exception(page)

    page.get_by_role("tab", name="Probe sentences").click()
    page.wait_for_timeout(1200)
    page.screenshot(path=str(shots / "probes.png"), full_page=True)
    page.get_by_role("tab", name="Batch inspector").click()
    page.wait_for_timeout(1200)
    page.screenshot(path=str(shots / "batch_inspector.png"), full_page=True)
    _no_exception(page)

    page.get_by_role("button", name="Stop").click()
    page.get_by_text("resume it any time").wait_for(timeout=60_000)
    _no_exception(page)
    page.screenshot(path=str(shots / "pretrain_stopped.png"), full_page=True)

    page.get_by_role("link", name="Tokenizer").first.click()
    page.get_by_role("heading", name="Tokenizer").wait_for(timeout=30_000)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Example splits side by side").wait_for(timeout=60_000)
    _wait_idle(page)
    _no_exception(page)
    page.screenshot(path=str(shots / "tokenizer.png"), full_page=True)

    page.get_by_role("link", name="Runs").first.click()
    page.get_by_role("heading", name="Saved runs").wait_for(timeout=30_000)
    page.get_by_text("Compare loss curves").wait_for(timeout=30_000)
    _wait_idle(page)
    _no_exception(page)
    page.screenshot(path=str(shots / "runs.png"), full_page=True)
