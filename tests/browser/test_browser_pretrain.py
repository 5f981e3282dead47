"""Real-browser smoke test: Debian's Chromium, driven by Playwright, against a live `streamlit run`.

Opens the app, starts a run on the pretrain page with the default settings (what a teacher does
first), checks the MLM chart changes between two screenshots, stops the run, and clicks through the
other pages. Screenshots go to a temp folder (or `$BERT_EXPLORER_SHOTS` to keep them).
"""

from __future__ import annotations

import time

import pytest
from browser_helpers import no_exception as _no_exception
from browser_helpers import shots_dir as _shots
from browser_helpers import wait_idle as _wait_idle
from playwright.sync_api import Error as PlaywrightError

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _element_shot(locator, path, attempts: int = 5) -> bytes:
    """Screenshot of an element that the live fragment re-renders every second: when the element is
    replaced between locating and capturing ("not attached to the DOM"), locate it again and retry."""
    for attempt in range(attempts):
        try:
            return locator.screenshot(path=str(path))
        except PlaywrightError as exc:
            if "not attached" not in str(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


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
    page.get_by_role("button", name="Start", exact=True).click()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    first = _element_shot(chart, shots / "mlm_chart_1.png")
    page.screenshot(path=str(shots / "pretrain_running.png"), full_page=True)
    deadline = time.monotonic() + 60
    while True:  # the fragment redraws every second; wait for a few more steps
        page.wait_for_timeout(3000)
        second = _element_shot(chart, shots / "mlm_chart_2.png")
        if second != first or time.monotonic() > deadline:
            break
    assert second != first, "the MLM chart did not change while training"
    _no_exception(page)

    page.get_by_text("Probe sentences", exact=True).click()
    page.wait_for_timeout(1200)
    page.screenshot(path=str(shots / "probes.png"), full_page=True)
    page.get_by_text("Batch inspector", exact=True).click()
    page.wait_for_timeout(1200)
    page.screenshot(path=str(shots / "batch_inspector.png"), full_page=True)
    _no_exception(page)

    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("resume it any time").wait_for(timeout=60_000)
    # The live panel reruns the page once the run has ended: Resume appears and Start is enabled again.
    page.get_by_role("button", name="Resume").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Start", exact=True).is_enabled()
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
