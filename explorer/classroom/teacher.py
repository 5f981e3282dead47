"""Classroom mode: the teacher role, the per-session limits of classroom.toml, and the queue notice.

The teacher password comes from `$BERT_EXPLORER_TEACHER_PASSWORD` (never from a file in the project);
a session that enters it in the sidebar may publish any run for everyone and stop any job. Limits
(steps, model size, batch, sequence length, upload size) are checked when a run is requested, so a
too-large request is refused with a message naming the limit.
"""

from __future__ import annotations

import hmac

import streamlit as st

from explorer import session, settings, state
from explorer.classroom.login_guard import LoginGuard
from explorer.jobs.base import JobError
from explorer.jobs.registry import Job, job_registry
from explorer.ui.safe_text import md


@st.cache_resource
def login_guard() -> LoginGuard:
    """The one back-off for teacher-password guesses in this server process."""
    return LoginGuard()


def teacher_enabled() -> bool:
    return settings.teacher_password() is not None


def check_teacher_password(candidate: str) -> bool:
    """True if `candidate` is the teacher password (compared in constant time)."""
    expected = settings.teacher_password()
    return expected is not None and hmac.compare_digest(candidate.encode(), expected.encode())


def _on_password() -> None:
    ss = st.session_state
    entered = ss.get(state.TEACHER_PASSWORD, "")
    ss[state.TEACHER_PASSWORD] = ""  # never keep the password around
    if not entered:
        return
    guard, who = login_guard(), session.owner_id()
    wait = guard.wait_left(who)
    if wait > 0:  # not even compared: guessing faster than the back-off gains nothing
        session.flash("error", f"Too many wrong passwords: wait {wait:.0f} s before the next try.")
    elif check_teacher_password(entered):
        guard.succeeded(who)
        ss[state.TEACHER] = True
        session.flash("success", "Teacher mode: you can publish runs and stop any job (Runs page).")
    else:
        guard.failed(who)
        session.flash("error", "Wrong teacher password.")


def _leave() -> None:
    st.session_state[state.TEACHER] = False


def teacher_login() -> None:
    """The sidebar's teacher box (only when a teacher password is set)."""
    if not teacher_enabled():
        return
    if session.is_teacher():
        st.caption(":material/school: Teacher mode")
        st.button("Leave teacher mode", key="sidebar_teacher_leave", on_click=_leave)
    else:
        with st.expander("Teacher"):
            st.text_input("Teacher password", type="password", key=state.TEACHER_PASSWORD, on_change=_on_password)


def check_run_limits(*, steps: int, layers: int, hidden: int, batch_size: int, seq_length: int) -> None:
    """Refuse a run over the classroom limits.

    Raises:
        ValueError: naming the setting and its limit.
    """
    limits = settings.classroom()
    for label, value, limit in (
        ("steps", steps, limits.max_steps),
        ("layers", layers, limits.max_layers),
        ("hidden size", hidden, limits.max_hidden),
        ("batch size", batch_size, limits.max_batch_size),
        ("sequence length", seq_length, limits.max_seq_length),
    ):
        if value > limit:
            raise ValueError(f"{label} {value:,} is over this server's limit of {limit:,} (classroom.toml)")


def queue_notice(job: Job | None) -> None:
    """'Waiting: 2nd in line' for a queued job (any kind of job in the registry)."""
    position = job_registry().queue_position(job)
    if position is not None:
        ahead = position - 1
        st.info(
            f":material/hourglass_top: Waiting for a free training slot: you are **number {position}** in the "
            f"queue ({ahead} run{'s' if ahead != 1 else ''} ahead of you). It starts by itself; you can "
            "leave this page."
        )


def stop_any_job_panel() -> None:
    """The teacher's list of every running or waiting job, each with a Stop button."""
    registry = job_registry()
    jobs = registry.jobs()
    if not jobs:
        st.caption("No run is training or waiting.")
        return
    for n, job in enumerate(jobs):
        view = job.view()
        position = registry.queue_position(job)
        where = f"queued #{position}" if position else view.status
        c1, c2 = st.columns([4, 1])
        c1.markdown(
            f"**{md(view.run_name)}** — {where}, step {view.step:,} / {view.max_steps:,} (session …{job.owner[-4:]})"
        )
        if c2.button("Stop", key=f"teacher_stop_{n}_{view.run_name}", icon=":material/stop:"):
            job.stop()
            session.flash("info", f"Asked {md(view.run_name)} to stop.")
            st.rerun()


__all__ = [
    "JobError",
    "check_run_limits",
    "check_teacher_password",
    "queue_notice",
    "stop_any_job_panel",
    "teacher_enabled",
    "teacher_login",
]
