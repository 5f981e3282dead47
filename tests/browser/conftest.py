"""Fixtures of the real-browser tests: `server` (a fresh app, no saved runs) and `page` (a Chromium tab).

Both skip when /usr/bin/chromium or Playwright is missing. A test module can override `server` (e.g.
to start the app with a saved run); `page` then uses that one.
"""
from __future__ import annotations

import pytest
from browser_helpers import ARGS, CHROMIUM, require_browser, streamlit_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """(url, tmp folder) of a fresh app with no saved runs."""
    require_browser()
    tmp = tmp_path_factory.mktemp("browser")
    with streamlit_server(tmp) as url:
        yield url, tmp


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()
