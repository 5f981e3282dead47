"""Real-browser test of the time-lapse (issue 13): a run pretrained from the command line, replayed on the Runs
page. The slider is moved from the last frame to the first and the word map must change; Play must step
through the frames by itself. Screenshots at both steps go to `$BERT_EXPLORER_SHOTS` if set."""

from __future__ import annotations

import pytest
from browser_helpers import no_exception, require_browser, shots_dir, streamlit_server, wait_settled

from bert_core.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FLAGS = "--corpus builtin:lee --preset tiny --steps 60 --batch-size 8 --seq-len 32 --warmup 6 --timelapse-frames 6"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    tmp = tmp_path_factory.mktemp("browser_timelapse")
    assert main(["pretrain", *FLAGS.split(), "--out", str(tmp / "runs" / "lapse-run"), "--quiet"]) == 0
    with streamlit_server(tmp) as url:
        yield url, tmp


def _slider_value(page) -> str:
    return page.locator('[data-testid="stSlider"] input[type="range"]').first.get_attribute("aria-valuetext") or ""


def test_the_slider_and_play_replay_a_saved_run(server, page) -> None:
    url, tmp = server
    shots = shots_dir(tmp)
    page.goto(url)
    page.get_by_role("link", name="Runs").first.click()
    page.get_by_role("heading", name="Saved runs").wait_for(timeout=60_000)
    page.get_by_text("Time-lapse: how this model changed").click()
    page.get_by_text("Word map", exact=True).click()
    wait_settled(page)
    no_exception(page)
    assert _slider_value(page) == "60"  # the last frame first
    words = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Words at step")
    last = words.screenshot(path=str(shots / "timelapse_words_step60.png"))
    page.screenshot(path=str(shots / "timelapse_step60.png"), full_page=True)
    page.locator('[data-testid="stSlider"] input[type="range"]').first.focus()
    page.keyboard.press("Home")
    wait_settled(page)
    assert _slider_value(page) == "0"
    first = words.screenshot(path=str(shots / "timelapse_words_step0.png"))
    page.screenshot(path=str(shots / "timelapse_step0.png"), full_page=True)
    assert first != last, "the word map did not change between step 0 and step 60"
    no_exception(page)

    page.get_by_text("Play").click()
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stSlider"] input[type="range"]')
               ?.getAttribute('aria-valuetext') === '10'""",
        timeout=30_000,
    )
    no_exception(page)
