"""The Home page's "lesson-ready runs": the runs `python -m bert_core demo` prepared, when they are there,
each with a button that makes it the active model and opens the page that shows it best."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from bert_core.cli.demo import PRETRAIN_RUN, QA_RUN, SENTIMENT_RUN
from explorer import nav, session, settings, state
from explorer.active_model import RUN_PREFIX
from explorer.runs.store import RunSummary, dev_result, visible_runs


@dataclass(frozen=True)
class DemoRun:
    name: str  # folder under the runs folder (bert_core.cli.demo)
    title: str
    page: str  # explorer.nav page name opened with the run active
    what: str  # one sentence for the teacher


DEMO_RUNS = (
    DemoRun(
        PRETRAIN_RUN,
        "Pretrained tiny BERT",
        "fill_mask",
        "A tiny BERT trained from scratch on news stories: let the class guess blanks with it.",
    ),
    DemoRun(
        SENTIMENT_RUN,
        "Sentiment model",
        "embeddings",
        "MiniLM fine-tuned on movie reviews: see fresh and rotten reviews form two groups.",
    ),
    DemoRun(
        QA_RUN,
        "Question-answering model",
        "attention",
        "MiniLM fine-tuned to find answers in a passage: look at what its heads attend to.",
    ),
)


def present() -> list[tuple[DemoRun, RunSummary]]:
    """The demo runs in the runs folder that this session may see, in lesson order."""
    found = {r.name: r for r in visible_runs(settings.runs_dir(), session.session_id(), session.is_teacher())}
    return [(demo, found[demo.name]) for demo in DEMO_RUNS if demo.name in found]


def show() -> None:
    """The lesson-ready runs section (nothing when `python -m bert_core demo` has not been run)."""
    ready = present()
    if not ready:
        return
    st.subheader("Lesson-ready runs")
    st.caption("Prepared with `python -m bert_core demo`. Open one to make it the active model.")
    for column, (demo, run) in zip(st.columns(len(ready)), ready):
        with column.container(border=True):
            st.markdown(f"**{demo.title}**")
            st.caption(demo.what)
            score = dev_result(run)
            st.caption(f"`{run.name}` · {run.steps:,} steps" + (f" · {score}" if score else ""))
            if st.button(f"Open {nav.PAGES[demo.page][1]}", key=f"{state.HOME_DEMO}_{demo.name}", width="stretch"):
                st.session_state[state.ACTIVE_MODEL] = RUN_PREFIX + demo.name
                st.switch_page(nav.page(demo.page))
