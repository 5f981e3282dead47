"""Glue for the inspection pages (fill-mask, attention, embeddings): the model to inspect and cached
computations (the texts to embed: `explorer.inspect.texts`).

Derived arrays are cached with `st.cache_data`, keyed by small ids: the model is passed as `_model`
(not hashed) next to `model_key` (`LoadedModel.key`: a checkpoint's path and mtime, or the live
run's step), texts by a digest of their content. Embeddings are computed and cached in chunks, so
the page shows progress between chunks and a repeated query is answered from the cache in full.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import streamlit as st
import torch

from bert_core.inspect import projection
from bert_core.inspect.attention import HEAD_STATISTICS, AttentionMaps, attentions, head_statistics
from bert_core.inspect.embeddings import EmbeddingSet, embeddings
from bert_core.inspect.rollout import rollout
from bert_core.inspect.word_attention import merge_attention, word_groups
from explorer import settings, state
from explorer.active_model import LIVE, LOAD_ERRORS, LoadedModel, load_model, source_label
from explorer.inspect import bertviz_offline
from explorer.inspect.texts import SEED, TextSet
from explorer.nav import page
from explorer.ui.safe_text import md

ATTENTION_MAX_TOKENS = 64  # keeps the layer × head grid and bertviz's views quick to draw
EMBED_CHUNK = 256  # texts per cached chunk (progress is shown between chunks)
MAX_POINTS = 5000


# ---------------------------------------------------------------- the model
def active_model() -> LoadedModel | None:
    """The sidebar's model, or None after telling the user why there is none."""
    return load_or_explain(st.session_state[state.ACTIVE_MODEL])


def load_or_explain(source: str) -> LoadedModel | None:
    """The model behind `source`, or None after telling the user why there is none."""
    try:
        loaded = load_model(source)
    except LOAD_ERRORS as exc:
        st.error(f"{md(source_label(source))} does not load: {md(settings.hide_server_paths(str(exc)))}")
        return None
    if loaded is None and source == LIVE:
        st.info("The live run has no weights yet: wait for its first step, or pick another model in the sidebar.")
    elif loaded is None:
        st.info(f"{md(source_label(source))} is gone (deleted or renamed): pick another model in the sidebar.")
    return loaded


def no_mlm_head_notice(loaded: LoadedModel) -> None:
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


def word_level(maps: AttentionMaps) -> AttentionMaps:
    """`maps` between whole words: pieces of a word merged (attention to a word summed, from a word averaged)."""
    words, group = word_groups(maps.tokens)
    types = [0] * len(words)
    for piece, word in enumerate(group):
        types[word] = maps.token_type_ids[piece]
    return AttentionMaps(words, merge_attention(maps.weights, group).astype(np.float32), types, maps.truncated)


def rollout_map(maps: AttentionMaps) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema 2020) of `maps`: (T, T), row i = where token i's information came from."""
    return rollout(torch.from_numpy(maps.weights)).numpy()  # (L, H, T, T) → (T, T)


def grid_shape(maps: AttentionMaps) -> tuple[int, int, int]:
    """(layers, heads, tokens) of `maps`."""
    layers, heads = maps.weights.shape[:2]
    return int(layers), int(heads), len(maps.tokens)


def head_weights(maps: AttentionMaps, layer: int, head: int) -> np.ndarray:
    """One head's (tokens × tokens) attention: row = the token attending, column = the token looked at."""
    return maps.weights[layer, head]


def head_stats(maps: AttentionMaps) -> tuple[dict[str, np.ndarray], Mapping[str, str]]:
    """(every head's statistics, {statistic: label}): `bert_core`'s `head_statistics` of `maps`."""
    return head_statistics(maps.weights, maps.tokens), HEAD_STATISTICS


@st.cache_data(max_entries=16, show_spinner="drawing bertviz…")
def bertviz_html(view: str, model_key: str, text: str, pair: str, _maps: AttentionMaps) -> str:
    """bertviz's `view` ("head" or "model") of the maps of (model_key, text, pair), with no CDN."""
    draw = bertviz_offline.head_view_html if view == "head" else bertviz_offline.model_view_html
    return draw(_maps.weights, _maps.tokens, _maps.segment_b_start)


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


def embed(loaded: LoadedModel, texts: TextSet, layers: tuple[int, ...], pooling: str) -> EmbeddingSet:
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


def log2(n: int) -> float:
    """log2 n: the entropy in bits of attention spread evenly over n tokens."""
    return math.log2(max(n, 1))
