"""Real-browser test of stale widget values (issue 12, item 1) on the Embeddings page.

The browser sends back the label a selectbox last showed. After the text set changes, the point picker
still shows a sentence of the old set; the next rerun handed the page that sentence as the point and
the page crashed (`ValueError: invalid literal for int()`). Switches texts, pooling and colours in the
order that crashed, on a tiny saved run (fast), and fails on any exception box.
"""

from __future__ import annotations

import pytest
from browser_helpers import no_exception, require_browser, shots_dir, streamlit_server, wait_settled
from tiny_run import make_tiny_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_stale")
    make_tiny_run(tmp / "runs")
    with streamlit_server(tmp) as url:
        yield url, tmp


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label` and wait for the rerun to finish."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option).first.click()
    wait_settled(page, 240)
    no_exception(page)


def choose(page, group: str, option: str) -> None:
    """Click `option` of the radio group labelled `group` and wait for the rerun to finish."""
    page.locator('[data-testid="stRadio"]').filter(has_text=group).first.get_by_text(option, exact=True).click()
    wait_settled(page, 240)
    no_exception(page)


def test_embeddings_switches_without_a_crash(server, page) -> None:
    url, tmp = server
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    wait_settled(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Run: tiny-run").click()
    wait_settled(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Embeddings").first.click()
    page.get_by_text("Nearest neighbours").wait_for(timeout=240_000)
    wait_settled(page, 240)
    choose(page, "Map", "PCA")
    pick(page, "Texts", "Sentences from news and from Wikipedia (labelled by source)")
    pick(page, "Texts", "Movie review snippets (Rotten Tomatoes, labelled fresh / rotten)")
    choose(page, "Vectors", "every token")
    choose(page, "Colour by", "word")
    choose(page, "Vectors", "sentence: mean of its tokens")
    page.get_by_text("Nearest neighbours").wait_for(timeout=30_000)
    page.screenshot(path=str(shots_dir(tmp) / "embeddings_switched.png"), full_page=True)
