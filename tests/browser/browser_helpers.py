"""Plain helpers of the real-browser tests (the fixtures are in conftest.py): a live `streamlit run`
on a free localhost port, Debian's Chromium, screenshots, and waits."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def streamlit_server(tmp: Path, **extra_env: str) -> Iterator[str]:
    """`streamlit run explorer/app.py` with runs and uploads under `tmp` (and `extra_env`); yields its URL."""
    port = free_port()
    env = dict(os.environ, BERT_EXPLORER_RUNS=str(tmp / "runs"), BERT_EXPLORER_UPLOADS=str(tmp / "uploads"),
               HF_HUB_OFFLINE="1", **extra_env)
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
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def shots_dir(tmp: Path) -> Path:
    folder = Path(os.environ.get("BERT_EXPLORER_SHOTS", tmp / "shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def wait_idle(page, timeout: float = 30.0) -> None:
    """Wait until Streamlit's 'running' indicator is gone."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout * 1000)
