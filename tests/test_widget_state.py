"""Stale widget values (issue 12, item 1): `explorer.ui.widget_state` and the pages that use it.

A keyed widget keeps its value when its options change. The browser then sends back the label it
last showed; when that label is no option any more Streamlit hands the page the label itself (on the
Embeddings page, a sentence where the point's index was expected). `send_label` makes AppTest do
what the browser does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import ok, running_app
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from tiny_run import make_tiny_run

from explorer import state
from explorer.ui.widget_state import keep_choice, keep_choices, keep_in_range, valid_choice, valid_number

RUN = "run:tiny-run"


# ---------------------------------------------------------------- the helper


def test_valid_choice_keeps_an_option_and_replaces_anything_else() -> None:
    assert valid_choice(2, [0, 1, 2]) == 2
    assert valid_choice("a sentence", [0, 1, 2]) == 0  # the browser's stale label
    assert valid_choice("2", [0, 1, 2]) == 0
    assert valid_choice(5, range(3), default=2) == 2
    assert valid_choice("x", []) is None
    assert valid_choice(None, ["", "run:a"]) == ""


def test_valid_number_keeps_a_number_in_range_and_clamps_the_default() -> None:
    assert valid_number(2, 0, 6) == 2
    assert valid_number(6, 0, 2, default=2) == 2
    assert valid_number(-1, 0, 6, default=6) == 6
    assert valid_number("layer 3", 0, 6) == 0
    assert valid_number(True, 0, 6, default=3) == 3
    assert valid_number(0.5, 0.0, 0.99) == 0.5
    assert valid_number(9, 0, 6, default=99) == 6  # a default out of range is clamped too


def test_keep_functions_write_only_what_changes() -> None:
    store: dict = {"point": "old sentence", "model": "run:b", "layer": 6, "runs": ["a", "gone"], "ok": 1}
    assert keep_choice("point", range(10), store=store) == 0 and store["point"] == 0
    assert keep_choice("model", ["minilm", "run:a"], default="minilm", store=store) == "minilm"
    assert keep_in_range("layer", 0, 2, default=2, store=store) == 2 and store["layer"] == 2
    assert keep_choices("runs", ["a", "b"], store=store) == ["a"] and store["runs"] == ["a"]
    assert keep_choices("fresh", ["a", "b", "c"], default=["a", "b"], store=store) == ["a", "b"]
    assert store["fresh"] == ["a", "b"]  # the default is stored, so the multiselect shows it
    assert keep_choices("bad", ["a"], store={"bad": "a"}) == []  # not a list: nothing picked
    assert keep_choice("ok", [0, 1], store=store) == 1
    assert keep_choice("missing", ["x", "y"], store=store) == "x" and store["missing"] == "x"


# ---------------------------------------------------------------- the pages


def send_label(at: AppTest, key: str, label: str) -> None:
    """On the next run, `at` sends `label` as the value of the selectbox `key`, as a browser does when
    it still shows a label from the selectbox's previous options."""
    widget = at.selectbox(key=key)

    class StaleSelectbox(type(widget)):  # type: ignore[misc, valid-type]
        @property
        def _widget_state(self) -> WidgetState:
            return WidgetState(id=self.id, string_value=label)

    widget.__class__ = StaleSelectbox


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def app(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(monkeypatch, runs_root, tmp_path / "uploads") as at:
        yield at


def open_page(at: AppTest, page: str, model: str, **settings) -> AppTest:
    at.session_state[state.ACTIVE_MODEL] = model
    for name, value in settings.items():
        at.session_state[getattr(state, name)] = value
    at.switch_page(f"../pages/{page}.py")
    return ok(at.run())


def test_embeddings_survives_switching_texts_pooling_and_colour(app: AppTest) -> None:
    at = open_page(app, "embeddings", RUN, EMB_SOURCE="builtin:mix", EMB_COUNT=20, EMB_METHOD="pca")
    point = at.selectbox(key=state.EMB_POINT)
    news_label = point.options[3]
    point.select(3).run()
    at.selectbox(key=state.EMB_SOURCE).select("builtin:rotten_tomatoes").run()
    ok(at)
    send_label(at, state.EMB_POINT, news_label)  # the browser still shows a news sentence
    at.run()
    assert ok(at).session_state[state.EMB_POINT] == 0
    send_label(at, state.EMB_POINT, at.selectbox(key=state.EMB_POINT).options[4])
    at.radio(key=state.EMB_POOLING).set_value("tokens").run()  # sentences become tokens
    ok(at)
    send_label(at, state.EMB_POINT, "“film” in: a sentence that is not there · layer 2")
    at.radio(key=state.EMB_COLOR).set_value("word").run()
    assert ok(at).session_state[state.EMB_POINT] == 0
    assert at.dataframe[0].value is not None and "token" in at.dataframe[0].value.columns


def test_embeddings_layer_follows_the_model(app: AppTest) -> None:
    at = open_page(app, "embeddings", "minilm", EMB_SOURCE="builtin:pang_lee", EMB_COUNT=10, EMB_METHOD="pca")
    assert at.slider(key=state.EMB_LAYER).max == 6
    at.slider(key=state.EMB_LAYER).set_value(6).run()
    at.session_state[state.ACTIVE_MODEL] = RUN  # a 2-layer run: layer 6 is gone
    ok(at.run())
    assert at.slider(key=state.EMB_LAYER).max == 2 and at.session_state[state.EMB_LAYER] == 2
    at.session_state[state.ACTIVE_MODEL] = "minilm"
    ok(at.run())
    assert at.slider(key=state.EMB_LAYER).value == 2  # still a layer of MiniLM: kept


def test_attention_head_and_layer_follow_the_model(app: AppTest) -> None:
    at = open_page(app, "attention", "minilm", ATTN_TEXT="the police said")
    at.selectbox(key=state.ATTN_LAYER).select(5).run()
    at.selectbox(key=state.ATTN_HEAD).select(11).run()
    at.session_state[state.ACTIVE_MODEL] = RUN  # 2 layers × 2 heads
    ok(at.run())
    assert (at.session_state[state.ATTN_LAYER], at.session_state[state.ATTN_HEAD]) == (1, 1)


def test_runs_and_models_that_are_gone_fall_back(app: AppTest) -> None:
    at = open_page(app, "fill_mask", RUN, FILL_COMPARE="run:deleted-run")
    assert at.session_state[state.FILL_COMPARE] == ""
    at = open_page(app, "runs", RUN, RUNS_SELECTED="deleted-run", RUNS_OVERLAY=["deleted-run", "tiny-run"])
    assert at.session_state[state.RUNS_SELECTED] == "tiny-run"
    assert at.session_state[state.RUNS_OVERLAY] == ["tiny-run"]
    at = open_page(app, "finetune", "run:deleted-run", FT_INIT="run:deleted-run", FT_DATA="qa-only-data")
    assert at.session_state[state.ACTIVE_MODEL] == "minilm"
    assert at.session_state[state.FT_INIT] == "minilm"
    assert at.session_state[state.FT_DATA] == "builtin:rotten_tomatoes"
