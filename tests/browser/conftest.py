"""Fixtures of the real-browser tests: `server` (a fresh app, no saved runs) and `page` (a Chromium tab).

Both skip when /usr/bin/chromium or Playwright is missing. A test module can override `server` (e.g.
to start the app with a saved run); `page` then uses that one.

Nothing may leave this machine (docs/offline.md): every request the browser makes to a host other
than localhost is aborted and recorded in `outside_requests`, and any test that used `page` fails
when that list, or the URLs its document refers to, name another host.
"""

from __future__ import annotations

import pytest
from browser_helpers import ARGS, CHROMIUM, block_outside, outside_urls_in_document, require_browser, streamlit_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """(url, tmp folder) of a fresh app with no saved runs."""
    require_browser()
    tmp = tmp_path_factory.mktemp("browser")
    with streamlit_server(tmp) as url:
        yield url, tmp


@pytest.fixture(scope="module")
def outside_requests() -> list[str]:
    """URLs outside this machine that the module's browser tried to fetch (each one was aborted)."""
    return []


@pytest.fixture(scope="module")
def page(request: pytest.FixtureRequest, server, outside_requests: list[str]):
    """A Chromium tab; its window is 1400×1000 unless the test module sets `VIEWPORT`."""
    from playwright.sync_api import sync_playwright

    viewport = getattr(request.module, "VIEWPORT", {"width": 1400, "height": 1000})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=viewport)
        block_outside(context, outside_requests)
        yield context.new_page()
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail a browser test (not just error in teardown) when its browser reached outside this machine;
    a test that failed anyway lists those requests in its report."""
    funcargs = getattr(item, "funcargs", {})
    if "page" not in funcargs:
        return (yield)
    try:
        result = yield
    except BaseException:
        outside = _outside(funcargs)
        if outside:
            item.add_report_section("call", "requests outside localhost", "\n".join(outside))
        raise
    outside = _outside(funcargs)
    assert not outside, f"the browser requested hosts other than localhost: {outside}"
    return result


def _outside(funcargs: dict) -> list[str]:
    """The outside URLs the test's browser requested or its document refers to; the record is reset so
    the next test of the module is judged on its own requests."""
    outside = list(dict.fromkeys(funcargs["outside_requests"] + outside_urls_in_document(funcargs["page"])))
    funcargs["outside_requests"].clear()
    return outside
