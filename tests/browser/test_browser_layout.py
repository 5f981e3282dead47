"""Real-browser layout checks (issue 12, item 4) at 1280×720 and 1400×1000: the runs table shows every
column, bertviz's model view shows every head, and chart titles, axis titles and legends do not overlap.

Saved runs of every kind come from tests/runs_gallery.py; screenshots go to `$BERT_EXPLORER_SHOTS` if set.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from browser_helpers import no_exception, require_browser, shots_dir, streamlit_server, wait_settled

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the run fixtures
from runs_gallery import make_gallery  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = [(1280, 720), (1400, 1000)]
COLUMNS = ["name", "kind", "status", "shared", "steps", "model", "data", "result", "date"]

# Header cells of a dataframe's accessible table: the grid renders only the columns in its visible area.
HEADERS = """(grid) => Array.from(grid.querySelectorAll('[role="columnheader"]')).map(e => e.textContent.trim())"""
# Pairs of text boxes that overlap in a plotly chart: figure and subplot titles (annotations), axis titles,
# the legend. Boxes are shrunk by 1 px so touching edges do not count.
OVERLAPS = """(chart) => {
    const pick = 'g.annotation, text.gtitle, .infolayer text[class$="title"], g.legend';
    const boxes = Array.from(chart.querySelectorAll(pick)).map(e => {
        const r = e.getBoundingClientRect();
        const name = e.getAttribute('class') + ':' + (e.textContent || '').slice(0, 30);
        return {name, l: r.left + 1, r: r.right - 1, t: r.top + 1, b: r.bottom - 1, w: r.width};
    }).filter(b => b.w > 2);
    const out = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], c = boxes[j];
        if (a.l < c.r && c.l < a.r && a.t < c.b && c.t < a.b) out.push([a.name, c.name]);
    }
    return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_layout")
    make_gallery(tmp / "runs")
    with streamlit_server(tmp) as url:
        yield url, tmp


def open_page(page, url: str, path: str, heading: str) -> None:
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    wait_settled(page)
    no_exception(page)


def overlaps(page) -> list:
    return [pair for chart in page.locator('[data-testid="stPlotlyChart"]').all() for pair in chart.evaluate(OVERLAPS)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_table_shows_every_column_and_overlay_draws(server, page, size) -> None:
    url, tmp = server
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_page(page, url, "runs", "Saved runs")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    page.screenshot(path=str(shots_dir(tmp) / f"runs_{size[0]}.png"))
    headers, deadline = [], time.monotonic() + 60
    while headers != COLUMNS and time.monotonic() < deadline:  # the grid draws its headers after it appears
        page.wait_for_timeout(300)
        headers = grid.evaluate(HEADERS)[: len(COLUMNS)]
    assert headers == COLUMNS  # all rendered: none scrolled out of view
    box = grid.bounding_box()
    assert box["x"] + box["width"] <= size[0]
    assert "None" not in grid.inner_text()
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(1).wait_for(timeout=60_000)  # on a busy machine the charts can arrive after the table
    assert charts.count() == 2  # pretraining and fine-tuning curves, each on its own chart
    charts.nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots_dir(tmp) / f"runs_charts_{size[0]}.png"))
    assert all(c.locator("g.scatterlayer path.js-line").count() >= 1 for c in charts.all())  # curves drawn
    assert overlaps(page) == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_attention_model_view_and_head_statistics_fit(server, page, size) -> None:
    url, tmp = server
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_page(page, url, "attention", "Attention")  # MiniLM: 6 layers × 12 heads
    page.get_by_role("tab", name="Head statistics").click()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots_dir(tmp) / f"attention_stats_{size[0]}.png"), full_page=True)
    assert overlaps(page) == []

    page.get_by_role("tab", name="Model view (bertviz)").click()
    iframe = page.locator('[data-testid="stIFrame"]').nth(1)
    frame = page.frame_locator('[data-testid="stIFrame"]').nth(1)
    frame.locator("svg rect").first.wait_for(timeout=60_000)
    page.wait_for_timeout(800)
    iframe.scroll_into_view_if_needed()
    outer = iframe.bounding_box()
    inner = frame.locator("#vis svg").first.bounding_box()  # page coordinates, like `outer`
    iframe.screenshot(path=str(shots_dir(tmp) / f"model_view_{size[0]}.png"))
    assert inner["x"] >= outer["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
    assert inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    heads = frame.locator("#vis svg text").filter(has_text="11")
    assert heads.count() >= 1  # the last head's column label is drawn


def test_tokenizer_vocabulary_chart_is_not_empty_axes(server, page) -> None:
    url, tmp = server
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, url, "tokenizer", "Tokenizer")
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Example splits side by side").wait_for(timeout=120_000)
    wait_settled(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(shots_dir(tmp) / "tokenizer_vocab_chart.png"))
    low = chart.evaluate("c => c.querySelector('.js-plotly-plot')._fullLayout.yaxis2.range[0]")
    assert low >= 0  # a count axis never runs below zero
    text = chart.inner_text()
    bars = chart.locator("g.bars g.point").count()
    assert "no [UNK] in these sentences" in text or bars == 4
    assert overlaps(page) == []
