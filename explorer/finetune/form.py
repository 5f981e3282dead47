"""The fine-tune page's form: choices, uploads (saved under generated names, previewed and validated),
form values → a `FinetuneConfig`, and the Start / Stop callbacks.

Callbacks run before the page script (Streamlit's on_click), so they may reset widget values; failures
become a flash message instead of a traceback.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from bert_core.data import CorpusError
from bert_core.finetuning.data.qa import load_qa
from bert_core.finetuning.data.sentiment import LABEL_COLUMNS, TEXT_COLUMNS, load_sentiment, read_table
from bert_core.finetuning.data.squad import load_qa_builtin
from bert_core.finetuning.recipe import RECIPES, fit_epochs
from bert_core.finetuning.registry import get_task
from bert_core.finetuning.start import memory_refusal
from explorer import active_model, corpora, session, settings, state
from explorer.jobs.base import JobError
from explorer.jobs.finetune import FinetuneConfig, FinetuneJob
from explorer.jobs.registry import job_registry
from explorer.runs.store import RunError, validate_run_name
from explorer.ui.safe_text import md

UPLOAD = "upload"
DATA_CHOICES = {
    "sentiment": ["builtin:rotten_tomatoes", "builtin:pang_lee", UPLOAD],
    "qa": ["builtin:qa", "builtin:cloze", UPLOAD],
}
DATA_LABELS = {
    "builtin:rotten_tomatoes": "Rotten Tomatoes snippets (12,808, fresh / rotten)",
    "builtin:pang_lee": "Pang & Lee polarity sentences (200, tiny: for a quick check)",
    "builtin:qa": "Built-in QA set (224 questions on 32 passages)",
    "builtin:cloze": "Cloze questions generated from news articles (fill the blank as a span)",
}
UPLOAD_TYPES = {"sentiment": ["csv", "tsv", "jsonl"], "qa": ["json"]}
MINILM, RANDOM, HUB, RUN = "minilm", "random", "hub", "run:"
SEQ_LEN_CHOICES = [32, 64, 128, 192, 256, 384, 512]
# Per-task defaults applied when the task changes (QA needs room for a question and a context window).
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "sentiment": {
        state.FT_SEQ_LEN: 64,
        state.FT_BATCH: 32,
        state.FT_LR: 1e-4,
        state.FT_EPOCHS: 1.0,
        state.FT_MAX_TRAIN: 4000,
        state.FT_EVALS: 4,
    },
    # QA: bert_core's recipe (finetune_recipe), its schedule fitted to the built-in set's 168 questions;
    # one dev evaluation per epoch (56 questions cost about a training step each time).
    "qa": {
        state.FT_SEQ_LEN: 256,
        state.FT_BATCH: RECIPES["qa"].batch_size,
        state.FT_LR: RECIPES["qa"].learning_rate,
        state.FT_EPOCHS: fit_epochs("qa", len(load_qa_builtin("train"))),
        state.FT_MAX_TRAIN: 0,
        state.FT_EVALS: 1,
    },
}
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class SavedData:
    path: str  # generated file in the session's folder
    original_name: str  # shown to the user only
    upload_id: str = ""  # Streamlit's id of the uploaded file, so a rerun does not save it again


def my_finetune_job() -> FinetuneJob | None:
    job = job_registry().get(FinetuneJob.slot(session.owner_id()))
    return job if isinstance(job, FinetuneJob) else None


def data_label(choice: str) -> str:
    return DATA_LABELS.get(choice, "Upload your own")


def default_run_name() -> str:
    ss = st.session_state
    task = ss.get(state.FT_TASK, "sentiment")
    data = ss.get(state.FT_DATA, "").removeprefix("builtin:") or "data"
    return f"ft-{task}-{data}-{time.strftime('%m%d-%H%M%S')}"


def on_task_change() -> None:
    ss = st.session_state
    task = ss[state.FT_TASK]
    ss.update(TASK_DEFAULTS[task])
    ss[state.FT_DATA] = DATA_CHOICES[task][0]
    ss.pop(state.FT_UPLOADED, None)
    ss[state.FT_RUN_NAME] = default_run_name()


def on_data_change() -> None:
    """A name this page made up follows the data; one the user typed is kept."""
    ss = st.session_state
    if str(ss.get(state.FT_RUN_NAME, "")).startswith("ft-"):
        ss[state.FT_RUN_NAME] = default_run_name()


# ---------------------------------------------------------------- uploads
def save_upload(task: str, name: str, data: bytes, upload_id: str = "") -> SavedData:
    """Store an uploaded data file under a generated name in this session's folder.

    Raises:
        CorpusError: a wrong type for the task, an empty file, or one over the size limit.
    """
    suffix = Path(name).suffix.lower()
    allowed = [f".{t}" for t in UPLOAD_TYPES[task]]
    if suffix not in allowed:
        raise CorpusError(
            f"{name}: a {'sentiment' if task == 'sentiment' else 'QA'} data file must be {' or '.join(allowed)}"
        )
    if not data.strip():
        raise CorpusError(f"{name} is empty")
    if len(data) > settings.MAX_UPLOAD_MB * 2**20:
        raise CorpusError(f"{name} is larger than {settings.MAX_UPLOAD_MB} MB")
    path = session.session_upload_dir() / f"{secrets.token_hex(8)}{suffix}"
    path.write_bytes(data)
    return SavedData(str(path), name, upload_id)


@st.cache_data(max_entries=16, show_spinner=False)
def table_preview(path: str, name: str) -> tuple[list[str], list[dict[str, str]], int]:
    """(columns, first rows, number of rows) of an uploaded table.

    Raises:
        CorpusError: an unreadable, empty, binary or malformed file.
    """
    rows = read_table(Path(path).read_bytes(), name=name)
    if not rows:
        raise CorpusError(f"{name} has no rows")
    columns = list(dict.fromkeys(k for row in rows[:1000] for k in row if k is not None))
    preview = [{c: str(row.get(c, ""))[:200] for c in columns} for row in rows[:PREVIEW_ROWS]]
    return columns, preview, len(rows)


def guess_columns(columns: list[str]) -> tuple[str, str]:
    """(text, label) columns for the picker's first choice: common names, else the first two columns."""
    text = _guess(columns, TEXT_COLUMNS)
    return text, _guess(columns, LABEL_COLUMNS, avoid=text)


def _guess(columns: list[str], candidates: tuple[str, ...], avoid: str | None = None) -> str:
    lower = {c.strip().lower(): c for c in columns}
    found = next((lower[c] for c in candidates if c in lower and lower[c] != avoid), None)
    return found or next((c for c in columns if c != avoid), columns[0])


@st.cache_data(max_entries=16, show_spinner="reading the data…")
def sentiment_summary(spec: str, name: str, text_column: str | None, label_column: str | None) -> dict[str, Any]:
    """Sizes and class counts of a sentiment source (a built-in, or an upload's path).

    Raises:
        CorpusError: missing columns, one class, empty texts, ... (the message names the file).
    """
    source: str | bytes = spec if spec.startswith("builtin:") else Path(spec).read_bytes()
    data = load_sentiment(source, name=name, text_column=text_column, label_column=label_column)
    stats = data.stats()
    stats["preview"] = [{"text": e.text[:200], "label": data.labels[e.label]} for e in data.train[:PREVIEW_ROWS]]
    stats["notes"] = list(data.notes)
    return stats


@st.cache_data(max_entries=16, show_spinner="reading the questions…")
def qa_summary(spec: str, name: str) -> dict[str, Any]:
    """Sizes and a preview of a QA source (a built-in, or an uploaded SQuAD file's path).

    Raises:
        CorpusError: not JSON, not SQuAD-shaped, answers not in their context, ...
    """
    source: str | bytes = spec if spec.startswith("builtin:") else Path(spec).read_bytes()
    data = load_qa(source, name=name, cloze_questions=400)
    stats = data.stats()
    stats["preview"] = [
        {
            "question": e.question,
            "answer": " | ".join(e.answer_texts) or "(no answer)",
            "context": e.context[:160] + ("…" if len(e.context) > 160 else ""),
        }
        for e in data.train[:PREVIEW_ROWS]
    ]
    stats["notes"] = list(data.notes)
    return stats


def take_upload(task: str, upload) -> None:
    """A file from the data uploader becomes the page's upload (`state.FT_UPLOADED`, saved once per file);
    no file forgets it; a bad one is reported under the uploader."""
    ss = st.session_state
    saved = ss.get(state.FT_UPLOADED)
    if upload is not None and getattr(saved, "upload_id", None) != upload.file_id:
        ss.pop(state.FT_UPLOADED, None)
        try:
            ss[state.FT_UPLOADED] = save_upload(task, upload.name, upload.getvalue(), upload.file_id)
        except CorpusError as exc:
            st.error(md(exc))
    elif upload is None:
        ss.pop(state.FT_UPLOADED, None)


def data_source() -> tuple[str, str] | None:
    """(data spec for bert_core, label to show), or None when 'upload' is picked with no good file."""
    return corpora.chosen_data(state.FT_DATA, state.FT_UPLOADED, UPLOAD)


# ---------------------------------------------------------------- starting points
def init_choices() -> list[str]:
    return [MINILM, RANDOM] + [RUN + name for name in active_model.runs_with_checkpoints()] + [HUB]


def init_label(choice: str) -> str:
    if choice == MINILM:
        return "Pretrained MiniLM encoder (packaged)"
    if choice == RANDOM:
        return "Random weights (what does pretraining buy?)"
    if choice == HUB:
        return "A Hugging Face Hub model by name (needs internet)"
    return f"Saved run: {choice.removeprefix(RUN)}"


def init_spec(choice: str, hub_name: str) -> str:
    if choice == MINILM:
        return "builtin:minilm"
    if choice == RANDOM:
        return "random"
    if choice == HUB:
        if not hub_name.strip():
            raise ValueError("type a Hub model name, e.g. bert-base-uncased")
        return f"hub:{hub_name.strip()}"
    return str(settings.runs_dir() / choice.removeprefix(RUN))


# ---------------------------------------------------------------- config and actions
def config_from_state() -> FinetuneConfig:
    """The job the form describes.

    Raises:
        ValueError: a setting is invalid or no data file is ready (the message says which).
    """
    ss = st.session_state
    task = ss[state.FT_TASK]
    source = data_source()
    if source is None:
        raise ValueError("upload a data file first, or pick a built-in data set")
    options: dict[str, Any] = {
        "max_seq_length": int(ss[state.FT_SEQ_LEN]),
        "batch_size": int(ss[state.FT_BATCH]),
        "seed": int(ss[state.FT_SEED]),
    }
    if not get_task(task).is_qa and ss[state.FT_DATA] == UPLOAD:
        options.update(
            text_column=ss.get(state.FT_TEXT_COLUMN) or None, label_column=ss.get(state.FT_LABEL_COLUMN) or None
        )
    if get_task(task).is_qa:
        seq = options["max_seq_length"]
        options["doc_stride"] = min(int(ss[state.FT_DOC_STRIDE]), max(0, seq - 64 - 4))
        options["max_query_length"] = min(64, seq // 2)
    init = init_spec(ss[state.FT_INIT], ss[state.FT_HUB_NAME])
    message = memory_refusal(task, init, options["batch_size"], options["max_seq_length"])
    if message:
        raise ValueError(message)
    return FinetuneConfig(
        run_name=validate_run_name(ss[state.FT_RUN_NAME]),
        task=task,
        init=init,
        data=source[0],
        data_label=source[1],
        options=options,
        epochs=float(ss[state.FT_EPOCHS]),
        learning_rate=float(ss[state.FT_LR]),
        freeze_encoder_steps=int(ss[state.FT_FREEZE]),
        max_train_examples=int(ss[state.FT_MAX_TRAIN]),
        max_dev_examples=int(ss[state.FT_MAX_DEV]),
        evals_per_epoch=int(ss[state.FT_EVALS]),
    )


def on_start() -> None:
    owner = session.owner_id()
    try:
        job_registry().start(owner, config_from_state(), settings.runs_dir())
    except (ValueError, JobError, RunError) as exc:
        session.flash("error", f"Cannot start: {md(exc)}")
        return
    st.session_state[state.FT_SEEN_ACTIVE] = True
    st.session_state[state.FT_RUN_NAME] = default_run_name()  # the next Start gets a fresh folder


def on_stop() -> None:
    job = my_finetune_job()
    if job is not None:
        job.stop()
