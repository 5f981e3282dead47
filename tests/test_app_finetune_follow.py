"""AppTest: the fine-tune page's inputs follow the run shown (issue 12, item 4): after a sentiment run, a QA
run's before/after attention panel starts from one of its own questions, with the passage as segment B."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apptest_helpers import go, ok, running_app
from finetune_helpers import CSV, PASSAGES, TINY, settings, squad_json, train_to_end, upload  # noqa: F401
from streamlit.testing.v1 import AppTest

from explorer import state


@pytest.fixture
def app(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(template, tmp_path / "runs")
    with running_app(monkeypatch, tmp_path / "runs", tmp_path / "uploads") as at:
        yield at


def test_qa_before_after_attention_shows_a_question_not_the_last_sentiment_text(app: AppTest) -> None:
    at = go(app, "finetune")
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    at = upload(at, "reviews.csv", CSV.encode())
    at = settings(at, INIT=TINY, EPOCHS=1.0, BATCH=8, SEQ_LEN=32, MAX_TRAIN=0, MAX_DEV=0, EVALS=1)
    train_to_end(at)
    at.radio(key=state.FT_COMPARE_VIEW).set_value("attention").run()
    sentiment_text = ok(at).text_input(key=state.FT_COMPARE_TEXT).value
    assert sentiment_text and "film" in sentiment_text

    at.radio(key=state.FT_TASK).set_value("qa").run()
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    at = upload(at, "tiny_squad.json", squad_json())
    at = settings(at, INIT=TINY, EPOCHS=1.0, BATCH=4, SEQ_LEN=64, DOC_STRIDE=16, EVALS=1)
    train_to_end(at)
    questions = {q for _, qas in PASSAGES for q, _ in qas}
    assert at.session_state[state.FT_COMPARE_VIEW] == "attention"
    assert at.text_input(key=state.FT_COMPARE_TEXT).value in questions
    assert any("its passage is the second segment" in c.value for c in at.caption)
    assert at.session_state[state.FT_TRY_QUESTION] in questions

    typed = "Who bakes bread?"  # what the user types stays while the same run is shown
    at.text_input(key=state.FT_COMPARE_TEXT).input(typed).run()
    assert ok(go(go(at, "runs"), "finetune")).text_input(key=state.FT_COMPARE_TEXT).value == typed
