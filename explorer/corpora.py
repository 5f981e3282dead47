"""Corpora for the pages: the built-ins, and the session's uploaded corpus.

An upload is written under a generated name (`<random hex><suffix>`) in a per-session folder;
its original name is only ever displayed. Corpora are parsed by `bert_core.data.corpus` (text,
CSV, JSON lines and zips of text read in memory), never unpickled.

The last good upload is *the session's corpus*: whichever page took it (Pretrain or Tokenizer),
every corpus picker offers it and is switched to it, and the Embeddings page's "corpus" source
reads it, until another upload replaces it. A small record beside it (`corpus.json`) lets a reload
of the same session (`?sid=`) find it again, since a reload starts with an empty session state.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import streamlit as st

from bert_core.data import BUILTIN_CORPORA, SUPPORTED_SUFFIXES, CorpusError, resolve_corpus
from bert_core.tokenizer.training import reachable_vocab_size
from explorer import settings, state
from explorer.pretrain.run_names import refresh_run_name
from explorer.session import session_upload_dir
from explorer.tokenizer_lab import stock_tokenizer
from explorer.ui.safe_text import md

BUILTIN_CHOICES = [f"builtin:{name}" for name, corpus in BUILTIN_CORPORA.items() if not corpus.held_out]
UPLOAD_CHOICE = "upload"
UPLOAD_TYPES = [s.lstrip(".") for s in SUPPORTED_SUFFIXES]
CHOICE_KEYS = (state.PRETRAIN_CORPUS_CHOICE, state.TOK_CORPUS)  # the corpus pickers a new upload switches
RECORD = "corpus.json"  # in the session's upload folder: the SavedUpload that is the session's corpus


@dataclass(frozen=True)
class SavedUpload:
    path: str  # generated file in the session's folder
    original_name: str  # shown to the user only
    upload_id: str = ""  # Streamlit's id of the uploaded file, so a rerun does not save it again


def corpus_label(choice: str, upload_name: str | None = None) -> str:
    """A picker's text for `choice`; "upload" names the session's upload (`upload_name`) once there is one."""
    if choice.startswith("builtin:"):
        return BUILTIN_CORPORA[choice.removeprefix("builtin:")].description
    return f"Your upload: {upload_name}" if upload_name else "Upload your own (.txt, .csv, .jsonl, .zip)"


def corpus_labeler() -> Callable[[str], str]:
    """`corpus_label` with the session's upload fixed now: a picker's `format_func` must not read the
    session state itself, because Streamlit (and AppTest) may call it outside the script run."""
    saved = session_upload()
    return functools.partial(corpus_label, upload_name=saved.original_name if saved else None)


def save_upload(name: str, data: bytes, upload_id: str = "") -> SavedUpload:
    """Store an uploaded corpus under a generated name in this session's folder.

    Raises:
        CorpusError: an unsupported type, an empty file, or one over the size limit.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"unsupported file type {suffix or name!r}; upload one of {', '.join(SUPPORTED_SUFFIXES)}")
    if not data:
        raise CorpusError(f"{name} is empty")
    limit = settings.max_upload_bytes()
    if len(data) > limit:
        raise CorpusError(
            f"{name} is {len(data) / 2**20:.1f} MB, over this server's upload limit of {limit / 2**20:g} MB"
        )
    path = session_upload_dir() / f"{secrets.token_hex(8)}{suffix}"
    path.write_bytes(data)
    return SavedUpload(str(path), name, upload_id)


@dataclass(frozen=True)
class CorpusSummary:
    stats: dict
    tokens: int
    preview: tuple[str, ...]


@st.cache_data(max_entries=16, show_spinner="reading the corpus…")
def summarize_corpus(spec: str, text_column: str | None = None) -> CorpusSummary:
    """Statistics (documents, sentences, words, stock-vocabulary tokens) and a preview.

    Raises:
        CorpusError: the corpus cannot be read (the message is fit to show).
    """
    corpus = resolve_corpus(spec, **read_kwargs(spec, text_column))
    sentences = [s for d in corpus.documents for s in d]
    tokens = sum(len(ids) for ids in stock_tokenizer().tokenize_ids(sentences))
    return CorpusSummary(corpus.stats(), tokens, tuple(corpus.preview(3, 400)))


def session_upload() -> SavedUpload | None:
    """The session's uploaded corpus, or None before the first good upload."""
    return st.session_state.get(state.CORPUS_UPLOADED)


def restore_upload() -> None:
    """Once per session state: find the upload a reload forgot (its record in the session folder) and
    make it the chosen corpus again, as it was before the reload. Call before the pages draw."""
    ss = st.session_state
    if ss.get(state.CORPUS_RESTORED):
        return
    ss[state.CORPUS_RESTORED] = True
    if state.CORPUS_UPLOADED in ss:
        return
    folder = session_upload_dir()
    try:
        saved = SavedUpload(**json.loads((folder / RECORD).read_text()))
    except (OSError, ValueError, TypeError):  # no record yet, or not one of ours
        return
    path = Path(saved.path)
    if path.parent.resolve() == folder.resolve() and path.is_file():  # only a file of this session's own folder
        ss[state.CORPUS_UPLOADED] = saved
        for key in CHOICE_KEYS:
            ss[key] = UPLOAD_CHOICE


def take_upload(upload, page_key: str) -> bool:
    """Make a file from a `st.file_uploader` the session's corpus (once per file, not on every rerun).

    Saves it, records it for reloads and switches the other pages' corpus pickers to it;
    `page_key` is the calling page's own picker, already drawn (Streamlit refuses changes to it).
    Returns True when `upload` is new (the session's corpus changed).

    Raises:
        CorpusError: as `save_upload` (nothing changes then).
    """
    current = session_upload()
    if upload is None or (current is not None and current.upload_id == upload.file_id):
        return False
    saved = save_upload(upload.name, upload.getvalue(), upload.file_id)
    st.session_state[state.CORPUS_UPLOADED] = saved
    (session_upload_dir() / RECORD).write_text(json.dumps(asdict(saved)))
    for key in CHOICE_KEYS:
        if key != page_key:
            st.session_state[key] = UPLOAD_CHOICE
    return True


def upload_text_column() -> str | None:
    """The text column the Pretrain page names for CSV / JSON lines uploads (None: the reader's guess)."""
    return st.session_state.get(state.PRETRAIN_TEXT_COLUMN, "").strip() or None


def read_kwargs(spec: str, text_column: str | None = None) -> dict:
    """`resolve_corpus` keyword arguments: an upload gets its text column and this server's size limit."""
    if spec.startswith("builtin:"):
        return {}
    return {"max_bytes": settings.max_upload_bytes(), **({"text_column": text_column} if text_column else {})}


@st.cache_data(max_entries=16, show_spinner="trying a vocabulary on this corpus…")
def reachable_vocab(spec: str, text_column: str | None = None, limit: int = 30000) -> tuple[int, bool]:
    """(pieces a vocabulary trained on the corpus can have, exact?): see `reachable_vocab_size`.

    Raises:
        CorpusError: the corpus cannot be read.
    """
    return reachable_vocab_size(resolve_corpus(spec, **read_kwargs(spec, text_column)).texts(), limit)


def chosen_data(choice_key: str, uploaded_key: str, upload_choice: str = "upload") -> tuple[str, str] | None:
    """(spec for bert_core, label to show) of a page's data picker, or None when `upload_choice` is
    picked and no good file is saved under `uploaded_key` (a `corpora.SavedUpload`)."""
    choice = st.session_state[choice_key]
    if choice != upload_choice:
        return choice, choice
    saved = st.session_state.get(uploaded_key)
    return (saved.path, saved.original_name) if saved else None


def corpus_spec(choice_key: str = state.PRETRAIN_CORPUS_CHOICE) -> tuple[str, str] | None:
    """The corpus a page's corpus picker names, by default the Pretrain page's (the one the Embeddings
    page's "corpus" source reads too): (spec for bert_core, label to show), or None when 'upload' is
    picked with no good file."""
    return chosen_data(choice_key, state.CORPUS_UPLOADED, UPLOAD_CHOICE)


def take_corpus_upload(upload, page_key: str) -> None:
    """A file from a page's corpus uploader becomes the session's corpus (`take_upload`): a new
    one refreshes the default run name and reruns the page, so its picker names the file; a bad one
    is reported under the uploader."""
    try:
        if take_upload(upload, page_key):
            refresh_run_name()
            st.rerun()
    except CorpusError as exc:
        st.error(md(exc))
