"""AppTest of the fine-tune page on a tiny saved run: a sentiment CSV upload and a SQuAD upload trained to the
end (metrics, confusion matrix, worst table, try-it, before/after), the run on the runs and fill-mask pages,
and bad uploads that must give a clear st.error, never an exception."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from apptest_helpers import go, ok, running_app
from finetune_helpers import CSV, PASSAGES, TINY, WORDS, settings, squad_json, train_to_end, upload  # noqa: F401
from streamlit.testing.v1 import AppTest

from explorer import state


@pytest.fixture
def app(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(template, tmp_path / "runs")
    with running_app(monkeypatch, tmp_path / "runs", tmp_path / "uploads") as at:
        yield at


def chart_titles(at: AppTest) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


def test_sentiment_upload_trains_and_tries_it(app: AppTest) -> None:
    at = go(app, "finetune")
    assert at.title[0].value == "Fine-tune BERT on a task" and not at.button(key=state.FT_START).disabled
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    assert ok(at).button(key=state.FT_START).disabled  # nothing to train on yet
    at = upload(at, "reviews.csv", CSV.encode())
    assert at.selectbox(key=state.FT_TEXT_COLUMN).value == "review"  # guessed; the label falls back to the other
    assert at.selectbox(key=state.FT_LABEL_COLUMN).value == "stars"
    assert any("bad: **24**" in c.value and "good: **24**" in c.value for c in at.caption)  # class counts
    assert any("**48** rows" in c.value for c in at.caption)  # the preview
    at = settings(at, INIT=TINY, EPOCHS=2.0, BATCH=8, SEQ_LEN=32, MAX_TRAIN=0, MAX_DEV=0, EVALS=1, LR=1e-3)
    view = train_to_end(at)
    assert view.evals[0]["step"] == 0 and view.evals[-1]["step"] == view.max_steps
    assert view.confusion is not None and sum(map(sum, view.confusion)) == view.data_info["dev"]
    counts = view.data_info["dev_class_counts"]  # the majority-class baseline comes from these
    assert list(counts) == ["bad", "good"] and sum(counts.values()) == view.data_info["dev"]
    assert "majority class" in chart_titles(at) and any("Macro-F1" in c.value for c in at.caption)

    labels = [m.label for m in at.metric]
    assert {"accuracy", "macro-F1", "dev loss"} <= set(labels)
    titles = chart_titles(at)
    assert "Learning curves" in titles and "Confusion matrix" in titles and "Class probabilities" in titles
    worst = [d.value for d in at.dataframe if "predicted" in d.value.columns]
    assert (
        worst
        and list(worst[0].columns) == ["text", "true", "predicted", "confidence"]
        or any("No mistakes" in s.value for s in at.success)
    )
    at.text_input(key=state.FT_TRY_TEXT).input("an awful tedious film").run()
    assert any(m.value.startswith("Fine-tuned model: **") for m in ok(at).markdown)
    assert "before fine-tuning" in chart_titles(at)  # the before/after embedding map
    at.radio(key=state.FT_COMPARE_VIEW).set_value("attention").run()
    assert "[CLS] attention" in chart_titles(ok(at))

    info = json.loads((view.run_path / "run.json").read_text())
    assert info["kind"] == "finetuning" and info["corpus_label"] == "reviews.csv" and info["status"] == "finished"
    at = go(at, "runs")
    table = at.dataframe[0].value
    row = table[table["name"] == view.run_name].iloc[0]
    assert row["kind"] == "finetuning" and row["result"].startswith("accuracy")
    at.session_state[state.ACTIVE_MODEL] = f"run:{view.run_name}"  # a classifier as the active model
    at = go(at, "fill_mask")
    assert any("no trained masked-word (MLM) head" in w.value for w in at.warning)
    go(at, "attention")


def test_qa_squad_upload_trains_and_answers(app: AppTest) -> None:
    at = go(app, "finetune")
    at.radio(key=state.FT_TASK).set_value("qa").run()
    assert ok(at).session_state[state.FT_SEQ_LEN] == 256  # the task's defaults
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    at = upload(at, "tiny_squad.json", squad_json())
    assert any("**8** questions on **6** passages" in c.value for c in at.caption)
    at = settings(at, INIT=TINY, EPOCHS=2.0, BATCH=4, SEQ_LEN=64, DOC_STRIDE=16, EVALS=1)
    view = train_to_end(at)
    assert {"exact_match", "f1"} <= set(view.after) and view.task == "qa"
    assert {"exact match", "F1"} <= {m.label for m in at.metric}
    assert at.session_state[state.FT_TRY_QUESTION] and at.session_state[state.FT_TRY_CONTEXT]  # a dev question
    at.text_input(key=state.FT_TRY_QUESTION).input("What did Tom buy?")
    at.text_area(key=state.FT_TRY_CONTEXT).input(PASSAGES[2][0]).run()
    assert "Where the answer starts and ends" in chart_titles(ok(at))
    assert any(list(d.value.columns) == ["answer", "probability %", "score"] for d in at.dataframe)  # n-best
    highlighted = [h.proto.body for h in at.get("html") if "<mark" in h.proto.body]
    assert highlighted and re.sub(r"<[^>]+>", "", highlighted[0]) == PASSAGES[2][0]  # the context, one span marked


BAD_SENTIMENT = [
    ("empty.csv", b"", "is empty"),
    ("binary.csv", b"\x00\x01\x02\xff" * 50, "binary"),
    ("one_class.csv", b"text,label\n" + b"".join(b"sentence %d,pos\n" % i for i in range(10)), "single class"),
    ("no_label.csv", b"text\n" + b"".join(b"sentence %d\n" % i for i in range(10)), "must differ"),
]
BAD_QA = [
    ("not_json.json", b"{ this is not json", "not valid JSON"),
    ("no_data.json", b'{"version": "1.1"}', "data"),
    (
        "bad_answer.json",
        json.dumps(
            {
                "data": [
                    {
                        "paragraphs": [
                            {
                                "context": "A short text.",
                                "qas": [
                                    {
                                        "id": "x",
                                        "question": "Q?",
                                        "answers": [{"text": "missing words", "answer_start": 0}],
                                    }
                                ],
                            }
                        ]
                    }
                ]
            }
        ).encode(),
        "x",
    ),
]


def test_bad_uploads_give_clear_errors(app: AppTest) -> None:
    at = go(app, "finetune")
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    for name, data, message in BAD_SENTIMENT:
        at = upload(at, name, data)
        errors = [e.value for e in at.error]
        assert any(message in e for e in errors), (name, errors)
        assert at.button(key=state.FT_START).disabled, name
    at.radio(key=state.FT_TASK).set_value("qa").run()
    at.selectbox(key=state.FT_DATA).set_value("upload").run()
    for name, data, message in BAD_QA:
        at = upload(at, name, data)
        errors = [e.value for e in at.error]
        assert any(message in e for e in errors), (name, errors)
        assert at.button(key=state.FT_START).disabled, name
