"""The pretrain page's actions: form values → a JobConfig, and the Start / Stop / Resume callbacks.

Callbacks run before the page script (Streamlit's on_click), so they may reset widget values (a fresh
run name after a start); failures become a flash message instead of a traceback.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from bert_core.checkpoint import RunDirectory
from bert_core.config import BertConfig
from bert_core.pretraining import recipes
from bert_core.pretraining.setup import BUILTIN_MINILM, memory_refusal
from explorer import active_model, corpora, session, settings, state
from explorer.classroom import teacher as classroom
from explorer.jobs.base import JobError
from explorer.jobs.pretrain import JobConfig, JobView, resume_config
from explorer.jobs.registry import job_registry
from explorer.pretrain.run_names import RANDOM_INIT, default_run_name, refresh_run_name  # noqa: F401 (the page's)
from explorer.runs.store import RunError, validate_run_name
from explorer.ui.safe_text import md

PRESET_CHOICES = ["tiny", "mini", "small", "custom"]
MINILM_INIT, RUN_INIT = "minilm", "run:"
SEQ_LEN_CHOICES = [32, 64, 128, 256, 512]
# MLM + NSP cross-entropy starts near ln V + ln 2 (~11 for 30,522 pieces); far above it the run has diverged
# (a learning rate of 10 takes it to thousands within two steps, without ever reaching NaN in fp32).
MAX_LOSS = 100.0
APP_RECIPE = "classroom"  # the page's defaults (explorer/state.py) and what the form leaves out


def init_choices() -> list[str]:
    """Where a run's weights can start: random, the packaged MiniLM encoder, or any saved run."""
    return [RANDOM_INIT, MINILM_INIT] + [RUN_INIT + name for name in active_model.runs_with_checkpoints()]


def init_label(choice: str) -> str:
    if choice == RANDOM_INIT:
        return "random weights (from scratch)"
    if choice == MINILM_INIT:
        return "pretrained MiniLM encoder (adapt it to this corpus)"
    return f"saved run: {choice.removeprefix(RUN_INIT)}"


def init_spec(choice: str) -> str | None:
    """The `PretrainSpec.init` for a form choice."""
    if choice == RANDOM_INIT:
        return None
    if choice == MINILM_INIT:
        return BUILTIN_MINILM
    return str(settings.runs_dir() / choice.removeprefix(RUN_INIT))


def config_from_state() -> JobConfig:
    """The job the form describes.

    Raises:
        ValueError: a setting is invalid (the message names it).
    """
    ss = st.session_state
    corpus = corpora.corpus_spec()
    if corpus is None:
        raise ValueError("upload a corpus file first, or pick a built-in corpus")
    init = init_spec(ss[state.PRETRAIN_INIT])
    custom = ss[state.PRETRAIN_PRESET] == "custom" and init is None
    steps = int(ss[state.PRETRAIN_STEPS])
    minutes = float(ss[state.PRETRAIN_MINUTES])
    # The form's values over the classroom recipe: what the form does not show (dropout, masking rate…) is the
    # recipe's, so `python -m bert_core pretrain --recipe classroom` with the same flags trains the same model.
    values = recipes.settings(
        APP_RECIPE,
        corpus=corpus[0],
        text_column=ss[state.PRETRAIN_TEXT_COLUMN].strip() or None,
        init=init,
        preset="tiny" if custom else ss[state.PRETRAIN_PRESET],
        layers=int(ss[state.PRETRAIN_LAYERS]) if custom else None,
        hidden=int(ss[state.PRETRAIN_HIDDEN]) if custom else None,
        heads=int(ss[state.PRETRAIN_HEADS]) if custom else None,
        vocab=ss[state.PRETRAIN_VOCAB],
        vocab_size=int(ss[state.PRETRAIN_VOCAB_SIZE]),
        seq_len=int(ss[state.PRETRAIN_SEQ_LEN]),
        wwm=bool(ss[state.PRETRAIN_WWM]),
        batch_size=int(ss[state.PRETRAIN_BATCH]),
        seed=int(ss[state.PRETRAIN_SEED]),
        steps=steps,
        lr=float(ss[state.PRETRAIN_LR]),
        warmup=min(int(ss[state.PRETRAIN_WARMUP]), steps - 1),
        save_every=int(ss[state.PRETRAIN_SAVE_EVERY]),
        eval_every=0,
        freeze_encoder_steps=int(ss[state.PRETRAIN_FREEZE]) if init else 0,
        max_minutes=minutes or None,
    )
    spec, args = recipes.build(values)
    args = replace(args, max_loss=MAX_LOSS)
    if custom and spec.hidden_size and spec.num_attention_heads and spec.hidden_size % spec.num_attention_heads:
        raise ValueError(
            f"hidden size {spec.hidden_size} must be divisible by the number of heads {spec.num_attention_heads}"
        )
    if init is None:  # a pretrained start keeps its own size (MiniLM: 6 × 384), checked when it loads
        preset = BertConfig.from_preset(spec.preset)
        layers, hidden = spec.num_hidden_layers or preset.num_hidden_layers, spec.hidden_size or preset.hidden_size
    else:
        layers = hidden = 0
    classroom.check_run_limits(
        steps=steps, layers=layers, hidden=hidden, batch_size=spec.batch_size, seq_length=spec.max_seq_length
    )
    message = memory_refusal(spec)
    if message:
        raise ValueError(message)
    return JobConfig(
        validate_run_name(ss[state.PRETRAIN_RUN_NAME]),
        spec,
        args,
        corpus_label=corpus[1],
        probes=probe_lines(),
        probe_every=max(1, int(ss[state.PRETRAIN_PROBE_EVERY])),
        max_minutes=values["max_minutes"],
    )


def probe_lines() -> list[str]:
    return [line.strip() for line in st.session_state[state.PRETRAIN_PROBES].splitlines() if line.strip()][:8]


def can_resume(view: JobView) -> bool:
    """A run that ended (stopped, finished, or failed after a checkpoint) can go on from its checkpoint."""
    return not view.active and RunDirectory(view.run_path).latest_checkpoint() is not None


def on_start() -> None:
    try:
        config = config_from_state()
        job_registry().start(session.owner_id(), config, settings.runs_dir())
    except (ValueError, JobError, RunError) as exc:
        session.flash("error", f"Cannot start: {md(exc)}")
        return
    st.session_state[state.ACTIVE_MODEL] = "live"
    st.session_state[state.PRETRAIN_SEEN_ACTIVE] = True
    st.session_state[state.PRETRAIN_RUN_NAME] = default_run_name()  # the next Start gets a fresh folder


def on_stop() -> None:
    job = session.my_job()
    if job is not None:
        job.stop()


def on_resume(extra_steps: int = 0) -> None:
    job = session.my_job()
    if job is None:
        return
    view = job.view()
    try:
        config = resume_config(
            view.run_path, max_steps=view.max_steps + extra_steps if extra_steps else None, probes=probe_lines()
        )
        classroom.check_run_limits(
            steps=config.args.max_steps,
            layers=0,
            hidden=0,
            batch_size=config.spec.batch_size,
            seq_length=config.spec.max_seq_length,
        )
        config.probe_every = max(1, int(st.session_state[state.PRETRAIN_PROBE_EVERY]))
        job_registry().start(session.owner_id(), config, settings.runs_dir())
    except (ValueError, JobError, RunError) as exc:
        session.flash("error", f"Cannot resume: {md(exc)}")
        return
    st.session_state[state.PRETRAIN_SEEN_ACTIVE] = True


def on_probes_changed() -> None:
    job = session.my_job()
    if job is not None:
        job.set_probes(probe_lines())
