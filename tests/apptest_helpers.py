"""What the AppTest page tests share: start `explorer/app.py` on test folders, check a run, switch pages, read
what a page shows, save a tiny run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from bert_core import BertConfig, BertForPreTraining
from bert_core.checkpoint import RunDirectory
from bert_core.tokenizer import Tokenizer
from explorer import state
from explorer.classroom import identity
from explorer.jobs.registry import job_registry

APP = str(Path(__file__).resolve().parent.parent / "explorer" / "app.py")
PAGE = "../pages/{}.py"  # page paths are relative to the entry script's folder


@contextmanager
def running_app(
    monkeypatch: pytest.MonkeyPatch, runs: Path, uploads: Path, *, timeout: float = 120, **env: str
) -> Iterator[AppTest]:
    """The app, run once, with its runs and uploads folders (and any other `BERT_EXPLORER_*` or
    other variables in `env`); every job it started is stopped on exit."""
    monkeypatch.setenv("BERT_EXPLORER_RUNS", str(runs))
    monkeypatch.setenv("BERT_EXPLORER_UPLOADS", str(uploads))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    try:
        yield at
    finally:
        job_registry().stop_all()


def owner_of(at: AppTest) -> str:
    """The public owner id of `at`'s session: what the job registry, run.json and upload folders use."""
    return identity.owner_id(at.session_state[state.SESSION_ID])


def ok(at: AppTest) -> AppTest:
    """`at` after asserting its last run raised nothing."""
    assert not at.exception, [e.message for e in at.exception]
    return at


def start_pretraining(at: AppTest, name: str, *, steps: int, batch: int = 8, save_every: int = 0, minutes: float = 0):
    """Press Start on the Pretrain page (open in `at`) for a short run of 32-token sequences on the small lee
    corpus with the stock vocabulary (no time budget unless `minutes`); returns its job
    (`explorer.jobs.registry.Job`)."""
    at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).set_value("builtin:lee")
    at.radio(key=state.PRETRAIN_VOCAB).set_value("stock")
    at.number_input(key=state.PRETRAIN_MINUTES).set_value(float(minutes))
    at.selectbox(key=state.PRETRAIN_SEQ_LEN).set_value(32)
    at.number_input(key=state.PRETRAIN_BATCH).set_value(batch)
    at.number_input(key=state.PRETRAIN_STEPS).set_value(steps)
    at.number_input(key=state.PRETRAIN_SAVE_EVERY).set_value(save_every)
    at.text_input(key=state.PRETRAIN_RUN_NAME).input(name)
    ok(at.button(key=state.PRETRAIN_START).click().run())
    job = job_registry().get(owner_of(at))
    assert job is not None, "Start did not start a job"
    return job


def go(at: AppTest, page: str) -> AppTest:
    """Switch to `pages/<page>.py` and run it."""
    at.switch_page(PAGE.format(page))
    return ok(at.run())


# ---------------------------------------------------------------- shared by the inspection, classroom and fault tests
RUN = "run:tiny-run"  # the tiny run of the `runs_root` fixture (conftest.py)
PASSWORD = "correct horse battery staple"  # the teacher password of the `env` fixture (conftest.py)


def open_page(at: AppTest, page: str, model: str = RUN, **settings) -> AppTest:
    """Switch to `page` with `model` active and session-state settings named like `state`'s constants."""
    at.session_state[state.ACTIVE_MODEL] = model
    for name, value in settings.items():
        at.session_state[getattr(state, name)] = value
    at.switch_page(f"../pages/{page}.py")
    return ok(at.run())


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def guess_figures(at: AppTest) -> list[dict]:
    """The Fill-in-the-blank page's guess bars (its Layer-by-layer tab draws heatmaps beside them)."""
    return [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "bar"]


def text(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info, *at.success, *at.markdown, *at.caption])


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"../pages/{name}.py")
    return ok(at.run())


def session(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    return ok(at.run())


def save_run(root: Path, name: str, tokenizer: Tokenizer, **info) -> None:
    run = RunDirectory(root / name)
    run.update_info(kind="pretraining", created_at=1.7e9, status="finished", steps=1, **info)
    torch.manual_seed(0)
    run.save_checkpoint(
        1,
        BertForPreTraining(BertConfig.from_preset("tiny", vocab_size=tokenizer.vocab_size)),
        tokenizer,
        {"status": "finished"},
    )
