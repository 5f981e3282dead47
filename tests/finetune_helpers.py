"""What the fine-tune page tests share: tiny sentiment and SQuAD data, and driving the page's form to a finished run."""

from __future__ import annotations

import json

from apptest_helpers import ok, owner_of
from streamlit.testing.v1 import AppTest

from explorer import state
from explorer.jobs.finetune import finetune_slot
from explorer.jobs.registry import job_registry

TINY = "run:tiny-run"
WORDS = {"good": ["great", "lovely", "superb", "charming"], "bad": ["awful", "dull", "tedious", "clumsy"]}
CSV = "review,stars\n" + "".join(
    f"a {w} film number {i},{label}\n" for i in range(6) for label, ws in WORDS.items() for w in ws
)
PASSAGES = [
    (
        "Anna lives in Paris and works as a baker.",
        [("Where does Anna live?", "Paris"), ("What is Anna's job?", "a baker")],
    ),
    ("The river Tamar flows south into Plymouth Sound.", [("Where does the Tamar flow?", "Plymouth Sound")]),
    (
        "Tom bought three red apples at the market on Monday.",
        [("What did Tom buy?", "three red apples"), ("When did Tom shop?", "Monday")],
    ),
    ("The museum opens at nine and closes at five.", [("When does the museum open?", "nine")]),
    ("Lena plays the cello in the city orchestra.", [("What does Lena play?", "the cello")]),
    ("The bridge was finished in 1932 after six years.", [("When was the bridge finished?", "1932")]),
]


def squad_json() -> bytes:
    paragraphs = [
        {
            "context": context,
            "qas": [
                {"id": f"q{i}-{j}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
                for j, (q, a) in enumerate(qas)
            ],
        }
        for i, (context, qas) in enumerate(PASSAGES)
    ]
    return json.dumps({"version": "1.1", "data": [{"title": "tiny", "paragraphs": paragraphs}]}).encode()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=state.FT_UPLOAD).upload(name, data, "application/octet-stream")
    return ok(at.run())


def settings(at: AppTest, **values) -> AppTest:
    """Set form widgets named like `state`'s FT_ constants (without the prefix)."""
    for name, value in values.items():
        key = getattr(state, f"FT_{name}")
        widget = next(w for kind in ("number_input", "selectbox", "text_input") for w in at.get(kind) if w.key == key)
        widget.set_value(value)
    return ok(at.run())


def train_to_end(at: AppTest):
    ok(at.button(key=state.FT_START).click().run())
    job = job_registry().get(finetune_slot(owner_of(at)))
    assert job is not None and job.join(120), "the fine-tuning run did not end"
    view = job.view()
    assert view.status == "finished", view.message
    ok(at.run())
    return view
