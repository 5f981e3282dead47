"""Real-browser test of the inspection pages offline (conftest.py blocks and fails any non-localhost request).

Starts the app with one tiny saved run, then: fill-mask (MiniLM explains it has no MLM head; the run
guesses), attention (the layer × head grid, then bertviz's head view and model view, whose SVG must
draw with no CDN), and embeddings (a UMAP scatter). Screenshots go to `$BERT_EXPLORER_SHOTS` if set.
"""

from __future__ import annotations

import pytest
from browser_helpers import (
    no_exception,
    require_browser,
    shots_dir,
    streamlit_server,
    wait_idle,
)
from tiny_run import make_tiny_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_inspect")
    make_tiny_run(tmp / "runs")
    with streamlit_server(tmp) as url:
        yield url, tmp


# Page coordinates of the centre of subplot n (1-based) of the first plotly chart.
CELL_CENTRE = """(n) => {
    const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const xa = gd._fullLayout['xaxis' + n], ya = gd._fullLayout['yaxis' + n];
    const box = gd.getBoundingClientRect();
    const mid = (a) => a._offset + a.l2p((a.range[0] + a.range[1]) / 2);
    return [box.left + mid(xa), box.top + mid(ya)];
}"""


def goto(page, name: str, heading: str) -> None:
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=heading).wait_for(timeout=30_000)


def pick_model(page, label: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=label).click()
    wait_idle(page, 60)


def test_inspection_pages_offline(server, page, outside_requests) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    wait_idle(page)

    goto(page, "Fill in the blank", "Fill in the blank")
    page.get_by_text("no trained masked-word").wait_for(timeout=60_000)
    no_exception(page)
    page.screenshot(path=str(shots / "fill_mask_minilm.png"), full_page=True)
    pick_model(page, "Run: tiny-run")
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    page.get_by_role("button", name="minister").click()  # hide a second word: a second chart
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for(timeout=60_000)
    wait_idle(page, 60)
    no_exception(page)
    page.screenshot(path=str(shots / "fill_mask_run.png"), full_page=True)
    page.get_by_role("tab", name="Layer by layer").click()
    page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for(timeout=60_000)  # a lens per blank
    page.wait_for_timeout(800)
    no_exception(page)
    page.screenshot(path=str(shots / "fill_mask_lens.png"), full_page=True)

    goto(page, "Attention", "Attention")
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    wait_idle(page, 60)
    no_exception(page)
    x, y = page.evaluate(CELL_CENTRE, 4)  # the grid's last cell: layer 1, head 1
    page.mouse.click(x, y)
    enlarged = page.locator('[data-testid="stPlotlyChart"]').nth(1)  # below the grid
    enlarged.locator("text=layer 1, head 1").first.wait_for(timeout=30_000)  # its title follows the click
    wait_idle(page, 60)
    page.screenshot(path=str(shots / "attention_grid.png"), full_page=True)
    page.get_by_role("tab", name="Head statistics").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "attention_stats.png"), full_page=True)

    page.get_by_role("tab", name="Rollout").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "attention_rollout.png"), full_page=True)
    page.get_by_text("Whole words").click()
    page.get_by_text("pieces)").first.wait_for(timeout=60_000)  # the caption counts words and pieces
    wait_idle(page, 60)
    no_exception(page)
    page.get_by_role("tab", name="Every head").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "attention_words.png"), full_page=True)
    page.get_by_role("tab", name="Head view (bertviz)").click()
    frame = page.frame_locator('[data-testid="stIFrame"]').first
    frame.locator("#vis svg text").first.wait_for(timeout=30_000)
    assert frame.locator("#vis svg text").count() >= 2 * 12  # each token, left and right
    assert frame.locator("#vis svg line").count() > 0  # attention lines
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "attention_head_view.png"), full_page=True)
    page.get_by_role("tab", name="Model view (bertviz)").click()
    model_frame = page.frame_locator('[data-testid="stIFrame"]').nth(1)
    model_frame.locator("svg rect").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "attention_model_view.png"), full_page=True)
    no_exception(page)

    goto(page, "Embeddings", "Embeddings")
    page.get_by_text("Nearest neighbours").wait_for(timeout=180_000)
    wait_idle(page, 60)
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
    no_exception(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "embeddings.png"), full_page=True)
    assert not outside_requests, outside_requests  # bertviz's CDN scripts among them
