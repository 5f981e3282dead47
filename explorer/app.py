"""BERT Explorer: `streamlit run explorer/app.py`.

The entry script sets up the page, the session and the sidebar (active model, device), then hands
over to the page the user picked. Page files live in the top-level `pages/` folder, found from this
file's location so the app starts from any working directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run explorer/app.py` puts explorer/, not the root, on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st

from bert_core.device import describe_device, pick_device
from explorer import active_model, corpora, nav, session, settings, state
from explorer.classroom import join_hint
from explorer.classroom import teacher as classroom
from explorer.ui import presenter
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

st.set_page_config(page_title="BERT Explorer", page_icon="🧠", layout="wide")
settings.configure_threads()
try:
    settings.classroom()
except ValueError as exc:  # a typo in classroom.toml: say so instead of failing on every page
    st.error(f"The server's classroom settings are invalid: {md(exc)}")
    st.stop()
session.init_session()
corpora.restore_upload()  # after a reload, the session's uploaded corpus is chosen again


def _pick_model() -> None:
    st.session_state[state.ACTIVE_MODEL] = st.session_state[state.ACTIVE_MODEL_WIDGET]


def _job_caption() -> None:
    job = session.my_job()
    if job is not None:
        view = job.view()
        st.caption(f"Your run **{md(view.run_name)}**: {view.status}, step {view.step:,} / {view.max_steps:,}")


def sidebar() -> None:
    with st.sidebar:
        labels = active_model.source_labels()
        sources = list(labels)
        if st.session_state.get(state.ACTIVE_MODEL) == active_model.LIVE and active_model.LIVE not in sources:
            # the session's run has ended: its saved run (the same weights) stays the active model
            st.session_state[state.ACTIVE_MODEL] = active_model.ended_live_run() or active_model.MINILM
        # a deleted run falls back to MiniLM
        active = keep_choice(state.ACTIVE_MODEL, sources, default=active_model.MINILM)
        st.session_state[state.ACTIVE_MODEL_WIDGET] = active
        st.selectbox(
            "Active model",
            sources,
            key=state.ACTIVE_MODEL_WIDGET,
            format_func=labels.get,
            on_change=_pick_model,
            help="The model the inspection pages use.",
        )
        job = session.my_job()
        if job is not None:
            st.fragment(run_every=2.0 if job.active else None)(_job_caption)()
        st.caption(f"Device: {describe_device(pick_device())}")
        presenter.sync_widgets()
        presenter.sidebar_controls()
        join_hint.sidebar_hint(expanded=presenter.enabled())
        classroom.teacher_login()


navigation = st.navigation(nav.all_pages())
sidebar()
presenter.inject_css()
session.show_flash()
navigation.run()
