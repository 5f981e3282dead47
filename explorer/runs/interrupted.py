"""Runs whose server stopped mid-training (killed, restarted): say so, and resume them from the Runs page.

run.json says "running" but no job of this server writes the run (`explorer.runs.store.shown_status`). A
pretraining run resumes here exactly as **Resume** on the Pretrain page and `--resume` in the CLI do:
from its newest checkpoint, with its own settings, to its planned number of steps.
"""

from __future__ import annotations

import streamlit as st

from bert_core.checkpoint import RunDirectory
from explorer import session, settings, state
from explorer.classroom import teacher as classroom
from explorer.jobs.base import JobError
from explorer.jobs.pretrain import resume_config
from explorer.jobs.registry import job_registry
from explorer.runs.store import RunSummary
from explorer.ui.safe_text import md


def resume(run: RunSummary) -> None:
    """Start a job continuing `run` for this session (or queue it), and make it the active model.

    Raises:
        JobError / ValueError: the run cannot be resumed here, or the server refuses the job.
    """
    config = resume_config(run.path)
    classroom.check_run_limits(
        steps=config.args.max_steps,
        layers=0,
        hidden=0,
        batch_size=config.spec.batch_size,
        seq_length=config.spec.max_seq_length,
    )
    job_registry().start(session.owner_id(), config, settings.runs_dir())
    st.session_state[state.ACTIVE_MODEL] = "live"


def panel(run: RunSummary, manage: bool) -> None:
    """What happened to an interrupted run, and a Resume button for its owner (pretraining runs)."""
    checkpoint = RunDirectory(run.path).latest_checkpoint()
    saved = checkpoint.name.removeprefix("checkpoint-") if checkpoint else "none"
    st.warning(
        f"**{md(run.name)}** was interrupted: the server stopped while it trained. Its newest checkpoint "
        f"is step {saved}; the model loads from it."
    )
    kind = run.info.get("kind")
    if kind == "finetuning":
        st.caption("Resume a fine-tuning run from a terminal on the server, where it continues exactly:")
        st.code(f"python -m bert_core finetune --resume --out runs/{run.name}", language="bash")
    elif kind == "pretraining" and manage and checkpoint is not None:
        if st.button(
            "Resume training",
            key="runs_resume",
            icon="▶️",
            help="Continue from the newest checkpoint with the run's own settings.",
        ):
            try:
                resume(run)
            except (JobError, ValueError) as exc:
                st.error(f"Cannot resume: {md(exc)}")
            else:
                session.flash("success", f"Resuming {md(run.name)}: follow it on the Pretrain page.")
                st.rerun()
