"""Hostile text in every free-text field a student types into, in a real Chromium.

Markdown images and links, HTML with `onerror`, `<script>` and `javascript:` URLs go into the
fill-mask sentence, the attention and tokenizer sentences and pasted embedding texts with labels. The
page must show them as text: no request leaves this machine (127.0.0.2 stands for an outside host),
no dialog opens, no `<img>` points at the payload's address and no link has a `javascript:` target.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from browser_helpers import no_exception, require_browser, shots_dir, streamlit_server, wait_settled
from tiny_run import make_tiny_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOCAL = {"127.0.0.1", "localhost", "::1"}
BEACON = "http://127.0.0.2/beacon.png"
PAYLOAD = (
    f"![x]({BEACON}) [click](javascript:alert(1)) <img src={BEACON} onerror=alert(2)> "
    "<script>alert(3)</script> :red[loud]"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_hostile")
    make_tiny_run(tmp / "runs")
    with streamlit_server(tmp) as url:
        yield url, tmp


@pytest.fixture(scope="module")
def watched(page) -> dict[str, list[str]]:
    """Requests leaving this machine (aborted) and dialogs opened (dismissed), recorded."""
    seen: dict[str, list[str]] = {"requests": [], "dialogs": []}

    def route(route) -> None:
        url = route.request.url
        if urlparse(url).hostname in LOCAL or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            seen["requests"].append(url)
            route.abort()

    def dialog(d) -> None:
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.context.route("**/*", route)
    page.on("dialog", dialog)
    return seen


def goto(page, name: str, timeout: float = 120) -> None:
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=name).wait_for(timeout=timeout * 1000)
    wait_settled(page, timeout)


def type_into(page, label: str | None, text: str) -> None:
    """Type `text` into the text field labelled `label` (None: the page's text area) and submit it."""
    box = page.get_by_label(label, exact=True).first if label else page.locator('[data-testid="stMain"] textarea').first
    box.fill(text)
    box.press("Control+Enter" if box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
    wait_settled(page)


def assert_inert(page, watched: dict[str, list[str]], where: str) -> None:
    no_exception(page)
    page.wait_for_timeout(500)  # a beacon image would be requested by now
    beacons = [u for u in watched["requests"] if urlparse(u).hostname == "127.0.0.2"]
    assert not beacons and not watched["dialogs"], (where, watched)
    for frame in page.frames:  # the page, and bertviz's iframes
        assert frame.locator('img[src*="127.0.0.2"], a[href^="javascript"]').count() == 0, where


def test_hostile_text_is_shown_as_text_everywhere(server, page, watched) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    wait_settled(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Run: tiny-run").click()
    wait_settled(page)

    goto(page, "Fill in the blank")
    type_into(page, "Sentence", f"{PAYLOAD} the [MASK] said .")
    page.get_by_text("The model sees:").wait_for(timeout=60_000)
    assert page.get_by_text(f"![x]({BEACON})", exact=False).count() >= 1  # shown, literally
    assert_inert(page, watched, "fill-mask")
    page.screenshot(path=str(shots / "hostile_fill_mask.png"), full_page=True)

    goto(page, "Attention")
    type_into(page, "Sentence A", PAYLOAD)
    type_into(page, "Sentence B (optional: makes a pair)", "[click](javascript:alert(4))")
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    assert_inert(page, watched, "attention")
    page.get_by_role("tab", name="Head view (bertviz)").click()
    page.frame_locator('[data-testid="stIFrame"]').first.locator("#vis svg text").first.wait_for(timeout=30_000)
    assert_inert(page, watched, "bertviz head view")

    goto(page, "Tokenizer")
    type_into(page, "Sentence A", PAYLOAD)
    assert_inert(page, watched, "tokenizer")

    goto(page, "Embeddings", timeout=400)  # its default map of 500 texts takes a while on a busy machine
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()  # "Texts"
    page.get_by_role("option", name="Paste texts", exact=False).click()
    wait_settled(page, 400)
    lines = [
        f"[click](javascript:alert({n}))\t{PAYLOAD} number {n}" if n % 2 else f"![b]({BEACON})\tplain {n}"
        for n in range(12)
    ]
    type_into(page, None, "\n".join(lines))
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=120_000)
    assert_inert(page, watched, "embeddings")
    page.screenshot(path=str(shots / "hostile_embeddings.png"), full_page=True)
