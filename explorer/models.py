"""The sidebar's "active model": a saved run, the packaged MiniLM encoder, or the run now training.

A model source is a short string id kept in session state: `minilm`, `live` or `run:NAME`. Saved
models are loaded once per (path, modification time) and shared read-only by every session; the
live model is the training job's latest snapshot (a frozen copy, never the weights being trained).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from bert_core.assets import minilm_dir
from bert_core.checkpoint import resolve_model_dir
from bert_core.inference import mlm_head_trained
from bert_core.model import BertForPreTraining
from bert_core.tokenizer import Tokenizer

from . import settings
from .runs import list_runs
from .state import my_job

MINILM, LIVE, RUN_PREFIX = "minilm", "live", "run:"


@dataclass
class LoadedModel:
    source: str
    label: str
    model: torch.nn.Module
    tokenizer: Tokenizer
    has_trained_mlm_head: bool  # False for MiniLM: fill-mask would be noise
    step: int | None = None


def source_label(source: str) -> str:
    if source == MINILM:
        return "Pretrained MiniLM encoder (packaged)"
    if source == LIVE:
        return "The run now training (live)"
    return f"Run: {source.removeprefix(RUN_PREFIX)}"


def available_sources() -> list[str]:
    """Sources the sidebar offers: MiniLM, the live run if this session has one, every saved run."""
    sources = [MINILM]
    if my_job() is not None:
        sources.append(LIVE)
    sources += [RUN_PREFIX + r.name for r in list_runs(settings.runs_dir())]
    return sources


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
        if snap is None:
            return None
        model, tokenizer, step = snap
        return LoadedModel(source, f"{job.config.run_name} (live, step {step})", model, tokenizer,
                           mlm_head_trained(model), step)
    if source == MINILM:
        path = minilm_dir()
    else:
        try:
            path = resolve_model_dir(settings.runs_dir() / source.removeprefix(RUN_PREFIX))
        except FileNotFoundError:
            return None
    weights = Path(path) / "model.safetensors"
    model, tokenizer = _load_dir(str(path), weights.stat().st_mtime if weights.exists() else 0.0)
    return LoadedModel(source, source_label(source), model, tokenizer, mlm_head_trained(model))
