"""The sidebar's "active model": a saved run, the packaged MiniLM encoder, or this session's own run.

A model source is a short string id kept in session state: `minilm`, `live` or `run:NAME` (its
latest checkpoint); `run:NAME@checkpoint-STEP` names one kept checkpoint of a run. Saved
models are loaded once per (path, modification time) and shared read-only by every session; the
live model is the training job's latest snapshot (a frozen copy, never the weights being trained).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch
from safetensors import SafetensorError

from bert_core.assets import minilm_dir
from bert_core.checkpoint import CHECKPOINT_PREFIX, RunDirectory, list_checkpoints, resolve_model_dir
from bert_core.inspect.fill_mask import mlm_head_trained
from bert_core.model import BertForPreTraining
from bert_core.tokenizer import Tokenizer
from explorer import settings
from explorer.jobs.base import ACTIVE
from explorer.runs.access import run_info, visible_to
from explorer.runs.store import NAME_RE, visible_runs
from explorer.session import is_teacher, my_job, owner_id

MINILM, LIVE, RUN_PREFIX = "minilm", "live", "run:"
# What a damaged model folder raises on loading: a missing file, bad JSON, config or safetensors
# (ValueError), weights that do not fit the config (RuntimeError).
LOAD_ERRORS = (OSError, ValueError, RuntimeError)
CHECKPOINT_SEP = "@"  # run names cannot hold '@' (explorer.runs.store.NAME_RE), so the split is unambiguous


@dataclass
class LoadedModel:
    source: str
    label: str
    model: torch.nn.Module
    tokenizer: Tokenizer
    has_trained_mlm_head: bool  # False for MiniLM: fill-mask would be noise
    step: int | None = None
    key: str = ""  # identifies these exact weights: the cache key for derived data (`_model` + key)


def live_label(run_name: str | None, status: str | None, step: int | None = None) -> str:
    """What the session's own run is now, first (a narrow sidebar cuts the end): training (live
    weights), or stopped, finished or failed (its latest weights); `status` is the job's."""
    if run_name is None or status is None:
        return "Your run (no weights yet)"
    if status in ACTIVE:
        return f"Training now (live{f', step {step:,}' if step else ''}): {run_name}"
    if status == "finished":
        return f"Finished{f' ({step:,} steps)' if step else ''}: {run_name}"
    return f"{status.capitalize()}{f' at step {step:,}' if step else ''}: {run_name}"


def source_label(source: str) -> str:
    if source == MINILM:
        return "Pretrained MiniLM encoder (packaged)"
    if source == LIVE:
        job = my_job()
        view = job.view() if job is not None else None
        if view is None:
            return live_label(None, None)
        # While it trains the step is left out: the sidebar is redrawn only on full reruns, so it would lag.
        return live_label(view.run_name, view.status, None if view.active else view.step)
    name, _, checkpoint = source.removeprefix(RUN_PREFIX).partition(CHECKPOINT_SEP)
    return f"Run: {name}, step {checkpoint.removeprefix(CHECKPOINT_PREFIX)}" if checkpoint else f"Run: {name}"


def ended_live_run() -> str | None:
    """`run:NAME` of this session's own run once it has ended and is saved: the sidebar lists it once, as
    that saved run (with its status), not a second time as the live model."""
    job = my_job()
    view = job.view() if job is not None else None
    if view is None or view.active or not list_checkpoints(settings.runs_dir() / view.run_name):
        return None
    return RUN_PREFIX + view.run_name


def source_labels() -> dict[str, str]:
    """Sources the sidebar offers, with their labels: MiniLM, the live run while this session's run trains
    (or has no checkpoint), the saved runs it may see (a damaged one says so; the session's ended run says
    how it ended)."""
    ended = ended_live_run()
    sources = [MINILM] + ([LIVE] if my_job() is not None and ended is None else [])
    labels = {source: source_label(source) for source in sources}
    for run in visible_runs(settings.runs_dir(), owner_id(), is_teacher()):
        source = RUN_PREFIX + run.name
        label = source_label(LIVE) if source == ended else source_label(source)
        labels[source] = label + (" (damaged)" if run.damaged else "")
    return labels


def available_sources() -> list[str]:
    return list(source_labels())


def comparison_sources() -> list[str]:
    """`available_sources()` plus every kept checkpoint of a run that has more than one (early vs late)."""
    sources = []
    for source in available_sources():
        sources.append(source)
        if source.startswith(RUN_PREFIX):
            checkpoints = list_checkpoints(settings.runs_dir() / source.removeprefix(RUN_PREFIX))
            if len(checkpoints) > 1:
                sources += [f"{source}{CHECKPOINT_SEP}{c.name}" for c in checkpoints]
    return sources


def _source_dir(source: str) -> Path:
    """The model folder of a saved source (raises FileNotFoundError when it is gone)."""
    if source == MINILM:
        return minilm_dir()
    name, _, checkpoint = source.removeprefix(RUN_PREFIX).partition(CHECKPOINT_SEP)
    if not NAME_RE.match(name) or ".." in name:
        raise FileNotFoundError(f"{name!r} is not a run name")
    run = settings.runs_dir() / name
    if not visible_to(run_info(run), owner_id(), is_teacher()):  # another's unpublished run
        raise FileNotFoundError(f"no run named {name!r}")
    if not checkpoint:
        return resolve_model_dir(run)
    if "/" in checkpoint or "\\" in checkpoint or not checkpoint.startswith(CHECKPOINT_PREFIX):
        raise FileNotFoundError(f"{checkpoint!r} is not a checkpoint name")
    if (run / checkpoint) not in list_checkpoints(run):
        raise FileNotFoundError(f"{run.name} has no {checkpoint} (runs keep their newest checkpoints only)")
    return run / checkpoint


@st.cache_resource(max_entries=6, show_spinner="loading the model…")
def _load_dir(path: str, mtime: float) -> tuple[BertForPreTraining, Tokenizer]:
    """Shared, read-only: keyed by the checkpoint folder and its modification time."""
    model = BertForPreTraining.from_pretrained(path).eval()
    return model, Tokenizer.from_pretrained(path)


def load_model(source: str) -> LoadedModel | None:
    """The model behind `source`, or None if it is gone (a deleted run, no live job yet).

    Raises:
        FileNotFoundError / ValueError: the files exist but do not load.
    """
    if source == LIVE:
        job = my_job()
        snap = job.snapshot() if job else None
        if job is None or snap is None:
            return None
        model, tokenizer, step = snap
        label = live_label(job.config.run_name, job.view().status, step)
        return LoadedModel(
            source,
            label,
            model,
            tokenizer,
            mlm_head_trained(model),
            step,
            f"live:{job.config.run_name}:{step}:{id(model)}",
        )
    try:
        path = _source_dir(source)
    except FileNotFoundError:
        if source == MINILM:
            raise
        return None
    weights = Path(path) / "model.safetensors"
    mtime = weights.stat().st_mtime if weights.exists() else 0.0
    try:
        model, tokenizer = _load_dir(str(path), mtime)
    except SafetensorError as exc:  # say which file, not only the parser's words
        raise ValueError(f"{weights} is damaged or cut short ({exc})") from None
    return LoadedModel(source, source_label(source), model, tokenizer, mlm_head_trained(model), key=f"{path}:{mtime}")


def runs_with_checkpoints() -> list[str]:
    """Names of the saved runs this session may see that have a checkpoint to start from."""
    return [
        r.name
        for r in visible_runs(settings.runs_dir(), owner_id(), is_teacher())
        if RunDirectory(r.path).latest_checkpoint() is not None
    ]
