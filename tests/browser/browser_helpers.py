"""Plain helpers of the real-browser tests (the fixtures are in conftest.py): a live `streamlit run`
on a free localhost port, Debian's Chromium, screenshots, and waits."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench import server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
INLINE_SCHEMES = ("data:", "blob:", "about:")
# Every URL the document refers to or fetched: a backstop for requests the router may not see (a favicon
# set from script, a resource of a frame).
DOCUMENT_URLS_JS = """() => {
    const urls = performance.getEntriesByType('resource').map(e => e.name);
    for (const el of document.querySelectorAll('link[href], script[src], img[src], iframe[src]')) {
        urls.push(el.href || el.src);
    }
    return urls;
}"""


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


def is_outside(url: str) -> bool:
    """True when fetching `url` would leave this machine (anything but localhost and inline data)."""
    if url.startswith(INLINE_SCHEMES):
        return False
    return urlparse(url).hostname not in LOCAL_HOSTS


def block_outside(context, seen: list[str]) -> None:
    """Abort every request of `context` (all its pages and frames) that would leave this machine,
    and record its URL in `seen`."""

    def handle(route) -> None:
        if is_outside(route.request.url):
            seen.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", handle)
    context.on(
        "request",
        lambda request: seen.append(request.url) if is_outside(request.url) and request.url not in seen else None,
    )


def outside_urls_in_document(page) -> list[str]:
    """URLs outside this machine that `page`'s document links to or fetched."""
    try:
        return [u for u in page.evaluate(DOCUMENT_URLS_JS) if u and is_outside(u)]
    except Exception:  # noqa: BLE001 - a closed or navigating page has no document to check
        return []


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
