"""This browser tab's session: its secret id and public owner id, its upload folder, its teacher flag,
its pretraining job, and one-shot flash messages. The keys it reads and writes are in `explorer.state`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from explorer import settings, state
from explorer.classroom import identity
from explorer.jobs.pretrain import TrainingJob
from explorer.jobs.registry import job_registry


def init_session() -> str:
    """Set defaults and return this browser tab's session id.

    The id is 128 random bits (`secrets.token_hex`), so it cannot be guessed. Unless classroom.toml
    sets `session_in_url = false` it lives in the URL (`?sid=`) as well, so a page reload finds its
    running job and uploads again instead of orphaning them; the price is that whoever holds the
    link holds the session (docs/README_classroom.md).
    """
    fresh = state.SESSION_ID not in st.session_state
    for key, value in state.DEFAULTS.items():
        st.session_state.setdefault(key, value)
    for key in state.PERSISTENT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    in_url = settings.classroom().session_in_url
    from_url = _valid_sid(st.query_params.get("sid")) if in_url else None
    sid = st.session_state.get(state.SESSION_ID) or from_url or secrets.token_hex(16)
    st.session_state[state.SESSION_ID] = sid
    if fresh and job_registry().get(identity.owner_id(sid)) is not None:  # a reload while training: show that run
        st.session_state[state.ACTIVE_MODEL] = "live"
    if in_url and st.query_params.get("sid") != sid:
        st.query_params["sid"] = sid
    elif not in_url and "sid" in st.query_params:
        del st.query_params["sid"]
    return sid


def _valid_sid(value: str | None) -> str | None:
    return value if value and len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


def session_id() -> str:
    """This tab's secret session token: only for restoring the session from its own URL."""
    return st.session_state.get(state.SESSION_ID) or init_session()


def owner_id() -> str:
    """This session's public owner id (explorer.classroom.identity): what run.json, upload folders and the job
    registry record, and what other sessions may see."""
    return identity.owner_id(session_id())


def session_upload_dir() -> Path:
    """This session's private upload folder (created on demand), named by its owner id."""
    path = settings.uploads_dir() / owner_id()
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_teacher() -> bool:
    """Whether this session entered the teacher password (explorer.classroom.teacher)."""
    return bool(st.session_state.get(state.TEACHER))


def my_job() -> TrainingJob | None:
    """This session's latest pretraining job (its fine-tuning job: `explorer.finetune.form.my_finetune_job`)."""
    return job_registry().get(owner_id())  # type: ignore[return-value]


def flash(kind: str, text: str) -> None:
    """Show `text` (kind: success | info | warning | error) at the top of the next run."""
    st.session_state[state.FLASH] = (kind, text)


def show_flash() -> None:
    """Show the message `flash` left for this run, once."""
    message = st.session_state.pop(state.FLASH, None)
    if message:
        getattr(st, message[0])(message[1])
