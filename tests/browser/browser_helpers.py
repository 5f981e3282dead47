"""Plain helpers of the real-browser tests (the fixtures are in conftest.py): a live `streamlit run`
on a free localhost port, Debian's Chromium, screenshots, and waits."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def streamlit_server(tmp: Path, address: str = "localhost", **extra_env: str) -> Iterator[str]:
    """`streamlit run explorer/app.py` listening on `address`, with runs and uploads under `tmp` (and
    `extra_env`); yields its localhost URL. A server that does not start fails the test with its log."""
    try:
        with server.streamlit_server(tmp, address=address, **extra_env) as url:
            yield url
    except RuntimeError as exc:
        if "streamlit did not start" not in str(exc):
            raise
        pytest.fail(str(exc))


def shots_dir(tmp: Path) -> Path:
    folder = Path(os.environ.get("BERT_EXPLORER_SHOTS", tmp / "shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def wait_idle(page, timeout: float = 30.0) -> None:
    """Wait until no script runs: Streamlit's 'running' indicator is gone and the app root's
    `data-test-script-state` is not "running"."""
    page.wait_for_function(server.IDLE_JS, timeout=timeout * 1000)


def wait_settled(page, timeout: float = 120.0, quiet_ms: int = 800) -> None:
    """Wait until the app is idle and still idle `quiet_ms` later: right after a click the rerun may
    not have started yet, so one idle check can pass too early."""
    while True:
        wait_idle(page, timeout)
        page.wait_for_timeout(quiet_ms)
        if page.evaluate(server.IDLE_JS):
            return
