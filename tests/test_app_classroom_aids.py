"""AppTest: presenter mode survives page switches; Home offers the demo runs when they are there."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import go, ok, running_app
from tiny_run import make_tiny_run

from explorer import state
from explorer.classroom import join_hint


def test_presenter_mode_survives_page_switches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_app(monkeypatch, tmp_path / "runs", tmp_path / "uploads", timeout=60) as at:
        ok(at)
        assert not at.session_state[state.PRESENTER]
        ok(at.sidebar.toggle(key=state.PRESENTER_WIDGET).set_value(True).run())
        ok(at.sidebar.toggle(key=state.PRESENTER_DARK_WIDGET).set_value(True).run())
        for page in ("tokenizer", "pretrain", "attention", "runs", "home"):  # attention: charts in the dark look
            at = go(at, page)
            assert at.session_state[state.PRESENTER] and at.session_state[state.PRESENTER_DARK]
            assert at.sidebar.toggle(key=state.PRESENTER_WIDGET).value
        ok(at.sidebar.toggle(key=state.PRESENTER_WIDGET).set_value(False).run())
        at = go(at, "pretrain")
        assert not at.session_state[state.PRESENTER]
        assert not [t for t in at.sidebar.toggle if t.key == state.PRESENTER_DARK_WIDGET]


def test_home_offers_demo_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = make_tiny_run(tmp_path / "runs")
    with running_app(monkeypatch, runs, tmp_path / "uploads", timeout=60) as at:
        assert not [b for b in ok(at).button if b.key.startswith(state.HOME_DEMO)]  # no demo runs: no section
    (runs / "tiny-run").rename(runs / "demo-pretrain")
    with running_app(monkeypatch, runs, tmp_path / "uploads", timeout=60) as at:
        buttons = [b for b in ok(at).button if b.key.startswith(state.HOME_DEMO)]
        assert [b.key for b in buttons] == [f"{state.HOME_DEMO}_demo-pretrain"]
        assert any("Lesson-ready" in h.value for h in at.subheader)
        ok(buttons[0].click().run())
        assert at.session_state[state.ACTIVE_MODEL] == "run:demo-pretrain"
        assert at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).value == "run:demo-pretrain"
        assert any("Fill" in t.value for t in at.title)


def test_join_hint_only_off_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_app(monkeypatch, tmp_path / "runs", tmp_path / "uploads", timeout=60) as at:
        assert not [e for e in ok(at).sidebar.expander if "join" in e.label]  # config.toml: localhost
        monkeypatch.setattr(join_hint, "current_url", lambda: "http://10.0.0.5:8501/")
        expander = [e for e in ok(at.run()).sidebar.expander if "join" in e.label]
        assert expander and "http://10.0.0.5:8501/" in expander[0].markdown[0].value
        assert len(expander[0].get("image")) == 1  # the QR code
