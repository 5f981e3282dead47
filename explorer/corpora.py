"""Corpora for the pages: the built-ins, and uploads saved under the session's own folder.

An upload is written under a generated name (`<random hex><suffix>`) in a per-session folder;
its original name is only ever displayed. Corpora are parsed by `bert_core.data.corpus` (text,
CSV, JSON lines and zips of text read in memory), never unpickled.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from bert_core.data import BUILTIN_CORPORA, SUPPORTED_SUFFIXES, CorpusError, resolve_corpus
from bert_core.tokenizer_training import reachable_vocab_size

from . import settings
from .state import session_upload_dir
from .tokenizer_lab import stock_tokenizer

BUILTIN_CHOICES = [f"builtin:{name}" for name in BUILTIN_CORPORA]
UPLOAD_CHOICE = "upload"
UPLOAD_TYPES = [s.lstrip(".") for s in SUPPORTED_SUFFIXES]


@dataclass(frozen=True)
class SavedUpload:
    path: str  # generated file in the session's folder
    original_name: str  # shown to the user only
    upload_id: str = ""  # Streamlit's id of the uploaded file, so a rerun does not save it again


def corpus_label(choice: str) -> str:
    if choice.startswith("builtin:"):
        return BUILTIN_CORPORA[choice.removeprefix("builtin:")].description
    return "Upload your own (.txt, .csv, .jsonl, .zip)"


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
        raise CorpusError(f"{name} is {len(data) / 2**20:.1f} MB, over this server's upload limit of "
                          f"{limit / 2**20:g} MB")
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
    kwargs = {"text_column": text_column} if text_column else {}
    if not spec.startswith("builtin:"):
        kwargs["max_bytes"] = settings.max_upload_bytes()
    corpus = resolve_corpus(spec, **kwargs)
    sentences = [s for d in corpus.documents for s in d]
    tokens = sum(len(ids) for ids in stock_tokenizer().tokenize_ids(sentences))
    return CorpusSummary(corpus.stats(), tokens, tuple(corpus.preview(3, 400)))


@st.cache_data(max_entries=16, show_spinner="trying a vocabulary on this corpus…")
def reachable_vocab(spec: str, text_column: str | None = None, limit: int = 30000) -> tuple[int, bool]:
    """(pieces a vocabulary trained on the corpus can have, exact?): see `reachable_vocab_size`.

    Raises:
        CorpusError: the corpus cannot be read.
    """
    kwargs: dict[str, str | int] = {"text_column": text_column} if text_column else {}
    if not spec.startswith("builtin:"):
        kwargs["max_bytes"] = settings.max_upload_bytes()
    return reachable_vocab_size(resolve_corpus(spec, **kwargs).texts(), limit)
