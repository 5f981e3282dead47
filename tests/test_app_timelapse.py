"""AppTest of the time-lapse: a saved run's frames on the Runs page (slider, Play, every chart), an old run
without frames, and the live run's tab on the Pretrain page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apptest_helpers import figures, go, ok, running_app, start_pretraining, text
from streamlit.testing.v1 import AppTest
from waiting import wait_until

from explorer import state
from explorer.pretrain.timelapse_view import NO_TIMELAPSE

KEY = "runs_lapse"


@pytest.fixture
def app(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runs = tmp_path / "runs"
    shutil.copytree(runs_root, runs)
    shutil.copytree(runs / "tiny-run", runs / "old-run")
    shutil.rmtree(runs / "old-run" / "timelapse")  # as a run trained before the time-lapse existed
    with running_app(monkeypatch, runs, tmp_path / "uploads") as at:
        yield at


def _titles(at: AppTest) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def test_a_saved_run_replays_its_frames_step_by_step(app: AppTest) -> None:
    at = go(app, "runs")
    ok(at.selectbox(key=state.RUNS_SELECTED).set_value("tiny-run").run())
    slider = at.select_slider(key=f"{KEY}_step")
    assert list(slider.options) == ["1", "2"] and slider.value == 2  # the last frame first
    titles = _titles(at)
    assert "Layer 0, head 0 at step 2" in titles and "Layer 0, head 0 through training" in titles
    ok(slider.set_value(1).run())
    ok(at.selectbox(key=f"{KEY}_layer").set_value(1).run())
    ok(at.selectbox(key=f"{KEY}_head").set_value(1).run())
    assert "Layer 1, head 1 at step 1" in _titles(at)
    at.session_state[f"{KEY}_part"] = "words"
    ok(at.run())
    assert "Words at step 1" in _titles(at)
    ok(at.radio(key=f"{KEY}_words_layer").set_value("input").run())
    at.session_state[f"{KEY}_part"] = "guesses"
    ok(at.run())
    guesses = at.dataframe[-1].value
    assert len(guesses) == 3 and guesses["guesses"].str.count(",").eq(4).all()  # five guesses per blank
    # Play: each tick shows the next frame; after the last one Play switches itself off.
    ok(at.toggle(key=f"{KEY}_play").set_value(True).run())
    ok(at.run())
    assert at.select_slider(key=f"{KEY}_step").value == 2
    ok(at.run())
    assert at.toggle(key=f"{KEY}_play").value is False
    ok(at.toggle(key=f"{KEY}_play").set_value(True).run())  # at the last frame, Play starts over
    assert at.select_slider(key=f"{KEY}_step").value == 1


def test_a_run_without_frames_says_so(app: AppTest) -> None:
    at = go(app, "runs")
    ok(at.selectbox(key=state.RUNS_SELECTED).set_value("old-run").run())
    assert NO_TIMELAPSE in text(at)
    assert not at.get("select_slider")


def test_the_live_run_shows_its_time_lapse(env: Path) -> None:
    at = AppTest.from_file(str(Path(__file__).parent.parent / "explorer" / "app.py"), default_timeout=120)
    ok(at.run())
    at = go(at, "pretrain")
    job = start_pretraining(at, "lapse-run", steps=12, batch=4)
    wait_until(lambda: not job.view().active, timeout=120)
    at.session_state[state.PRETRAIN_VIEW] = "lapse"
    ok(at.run())
    slider = at.select_slider(key="pretrain_lapse_step")
    assert [int(s) for s in slider.options] == list(range(13))  # 30 frames asked: a 12-step run gets all of them
    assert slider.value == 12 and "Layer 0, head 0 at step 12" in _titles(at)
