"""Real-browser tour of every page in the navigation (new pages are included automatically), a bad
upload, and the classroom features: the teacher logs in from the sidebar, sets a run active, and sees
the jobs panel. Fails on any exception box; screenshots go to `$BERT_EXPLORER_SHOTS` (or a temp folder).
"""

from __future__ import annotations

import pytest
from browser_helpers import (
    no_exception,
    require_browser,
    shots_dir,
    streamlit_server,
    wait_idle,
    wait_settled,
)
from tiny_run import make_tiny_run

from explorer.nav import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "browser-teacher"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_every_page")
    make_tiny_run(tmp / "runs")
    with streamlit_server(
        tmp, BERT_EXPLORER_TEACHER_PASSWORD=PASSWORD, BERT_EXPLORER_CLASSROOM=str(tmp / "classroom.toml")
    ) as url:
        yield url, tmp


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).first.click()
    page.wait_for_timeout(300)
    wait_settled(page, 300)  # Embeddings' first map (MiniLM, 500 texts, UMAP) took over 120 s on a busy 2-core box


def test_every_page_opens_without_an_exception(server, page) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=60_000)
    wait_idle(page)
    for name, (_, title, _) in PAGES.items():
        open_page(page, title)
        page.locator("h1").first.wait_for(timeout=60_000)
        no_exception(page)
        page.screenshot(path=str(shots / f"page_{name}.png"), full_page=True)


def test_bad_upload_says_why_and_the_teacher_panel(server, page) -> None:
    _, tmp = server
    shots = shots_dir(tmp)
    open_page(page, "Pretrain")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Corpus").first.click()
    page.get_by_role("option", name="Upload your own").click()
    wait_idle(page)
    page.locator('input[type="file"]').first.set_input_files(
        files=[{"name": "photo.txt", "mimeType": "text/plain", "buffer": b"\x00\x01\x02\x03" * 300}]
    )
    page.get_by_text("binary").first.wait_for(timeout=60_000)
    no_exception(page)
    page.screenshot(path=str(shots / "bad_upload.png"), full_page=True)

    page.get_by_text("Teacher", exact=True).first.click()
    field = page.get_by_label("Teacher password")
    field.fill(PASSWORD)
    field.press("Enter")
    page.get_by_text("Teacher mode").first.wait_for(timeout=30_000)
    open_page(page, "Runs")
    page.get_by_text("Training jobs on this server").wait_for(timeout=30_000)
    page.get_by_role("button", name="Set as active model").click()
    page.get_by_text("is now the active model").wait_for(timeout=30_000)
    no_exception(page)
    page.screenshot(path=str(shots / "runs_teacher.png"), full_page=True)
