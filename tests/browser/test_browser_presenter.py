"""Real-browser check of the classroom aids at a projector's 1280×720: presenter mode (large chart and
table text, Settings collapsed while a run trains, one chart in focus, the dark look), the chart help
captions, the Home page's lesson-ready runs, and the students' join hint with its QR code (the server
listens on every interface here). Screenshots go to `$BERT_EXPLORER_SHOTS` (or a temp folder).
"""

from __future__ import annotations

import pytest
from browser_helpers import no_exception, require_browser, shots_dir, streamlit_server, wait_settled
from tiny_run import make_tiny_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]
VIEWPORT = {"width": 1280, "height": 720}  # a projector (the shared `page` fixture reads it)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_presenter")
    make_tiny_run(tmp / "runs")
    (tmp / "runs" / "tiny-run").rename(tmp / "runs" / "demo-pretrain")
    with streamlit_server(tmp, address="0.0.0.0") as url:
        yield url, tmp


def _open(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).first.click()
    page.wait_for_timeout(300)
    wait_settled(page)


def test_presenter_mode_at_1280x720(server, page) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    wait_settled(page)
    assert page.get_by_text("Lesson-ready runs").is_visible()
    assert page.get_by_text("Students: join here").is_visible()  # listening on every interface
    page.get_by_text("Presenter mode").click()
    wait_settled(page)
    hint = page.locator('[data-testid="stSidebar"] [data-testid="stImage"] img')
    hint.wait_for(timeout=30_000)  # the join hint opens in presenter mode
    assert hint.get_attribute("src").startswith(f"{url}/media/")  # drawn by this server, not fetched elsewhere
    no_exception(page)
    page.screenshot(path=str(shots / "presenter_home.png"))

    _open(page, "Pretrain")
    assert (
        page.locator('[data-testid="stMain"] [data-testid="stExpander"] details').first.get_attribute("open")
        is not None
    )
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "presenter_started.png"))
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=240_000)  # a busy CPU: the first step
    page.wait_for_timeout(3000)
    page.get_by_text("What am I looking at?").first.wait_for(timeout=30_000)  # the chart help captions
    no_exception(page)
    # The page reruns when the run starts: Settings is collapsed while it trains.
    assert page.locator('[data-testid="stMain"] [data-testid="stExpander"] details').first.get_attribute("open") is None
    page.screenshot(path=str(shots / "presenter_pretrain.png"))
    page.get_by_role("button", name="Focus").first.click()
    page.get_by_role("button", name="Back to all charts").wait_for(timeout=30_000)
    page.wait_for_timeout(2500)
    page.get_by_role("button", name="Back to all charts").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "presenter_focus.png"))
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length == 1", timeout=15_000
    )  # the other charts are gone (stale ones go at the end of a rerun)
    page.get_by_text("Probe sentences", exact=True).click()
    page.wait_for_timeout(2500)
    page.screenshot(path=str(shots / "presenter_probes.png"))
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_role("button", name="Resume").wait_for(timeout=60_000)
    wait_settled(page)
    no_exception(page)
    # The run ended: Settings opens again.
    assert (
        page.locator('[data-testid="stMain"] [data-testid="stExpander"] details').first.get_attribute("open")
        is not None
    )
    page.get_by_text("Learning curves", exact=True).click()
    page.get_by_text("Dark look").click()  # the focused chart stays focused
    wait_settled(page)
    page.get_by_role("button", name="Back to all charts").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "presenter_focus_dark.png"))
    page.get_by_role("button", name="Back to all charts").click()
    wait_settled(page)
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "presenter_charts_dark.png"))
    no_exception(page)
    page.get_by_text("Dark look").click()
    wait_settled(page)

    _open(page, "Attention")
    page.locator('[data-testid="stPlotlyChart"]').nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    no_exception(page)
    page.screenshot(path=str(shots / "presenter_attention.png"))

    _open(page, "Runs")
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    no_exception(page)
    page.screenshot(path=str(shots / "presenter_runs.png"))
