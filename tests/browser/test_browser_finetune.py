"""Real-browser test of the fine-tune page: fine-tune a tiny saved run on the 200-sentence set, then use the
try-it box (class probabilities) and the before/after map. Fails on any exception box; screenshots go to the
test's tmp folder (or `$BERT_EXPLORER_SHOTS`)."""

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
    tmp = tmp_path_factory.mktemp("browser_finetune")
    make_tiny_run(tmp / "runs")
    with streamlit_server(tmp) as url:
        yield url, tmp


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label`."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    wait_idle(page)


def test_finetune_then_try_it(server, page) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("link", name="Fine-tune").first.click()
    page.get_by_role("heading", name="Fine-tune BERT on a task").wait_for(timeout=30_000)
    wait_idle(page)
    pick(page, "Data", "Pang & Lee polarity sentences (200, tiny: for a quick check)")
    pick(page, "Start from", "Saved run: tiny-run")
    page.get_by_text("train / ").first.wait_for(timeout=30_000)  # the data summary
    no_exception(page)
    page.screenshot(path=str(shots / "finetune_form.png"), full_page=True)

    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("heading", name="Try it").wait_for(timeout=120_000)
    wait_idle(page, 60)
    no_exception(page)
    page.get_by_text("Confusion matrix (dev)").first.wait_for(timeout=30_000)  # plotly draws its SVG late
    box = page.get_by_label("A sentence to classify")
    box.fill("a dull and tedious film")
    box.press("Enter")
    wait_idle(page, 60)
    page.get_by_text("Fine-tuned model:").first.wait_for(timeout=30_000)
    page.get_by_text("Class probabilities").nth(1).wait_for(timeout=30_000)  # fine-tuned and before
    page.get_by_text("before fine-tuning").first.wait_for(timeout=60_000)  # the before/after map drew
    no_exception(page)
    page.screenshot(path=str(shots / "finetune_try_it.png"), full_page=True)
