"""Layout pieces and plain helpers of the inspection pages: maskable words, chart clicks, point labels."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import streamlit as st

from bert_core.inspect import projection
from bert_core.inspect.embeddings import EmbeddingSet
from bert_core.inspect.fill_mask import fill_mask
from bert_core.inspect.lens import layer_predictions
from bert_core.tokenizer import MASK
from explorer import active_model
from explorer.charts import embeddings as charts_embeddings
from explorer.charts import explain as charts_explain
from explorer.charts import inspect as charts_inspect
from explorer.inspect import inspection
from explorer.inspect.texts import TextSet
from explorer.ui import presenter
from explorer.ui.safe_text import md

PLOT_CONFIG = {"displayModeBar": False}
_WORD = re.compile(r"\[MASK\]|\w+(?:['’]\w+)*|[^\w\s]")


# ---------------------------------------------------------------- fill-mask
def maskable_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of every word and punctuation mark of `text`, typed `[MASK]`s left out."""
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text) if m.group() != MASK]


def mask_words(text: str, words: Sequence[tuple[int, int, str]], picked: Sequence[int]) -> str:
    """`text` with the picked words (indices into `words`) replaced by `[MASK]`."""
    for index in sorted(set(picked), reverse=True):  # right to left: earlier offsets stay valid
        start, end, _ = words[index]
        text = text[:start] + MASK + text[end:]
    return text


def pills_key(prefix: str, text: str) -> str:
    """A word-pills widget per sentence: a new sentence starts with nothing picked."""
    return f"{prefix}_{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def fill_mask_panel(loaded: active_model.LoadedModel, query: str, top_k: int, key: str) -> None:
    """One model's top-k guesses for every [MASK] of `query`, as probability bars."""
    st.markdown(f"**{md(loaded.label)}**")
    if not loaded.has_trained_mlm_head:
        inspection.no_mlm_head_notice(loaded)
        return
    result = fill_mask(loaded.model, loaded.tokenizer, [query], top_k=top_k)[0]
    if result.truncated:
        st.warning(
            f"The sentence is longer than the model's {len(result.tokens)} positions: it was cut, and "
            "blanks past the cut are not guessed.",
            icon=":material/content_cut:",
        )
    if not result.masks:
        st.info("No [MASK] reached the model (the sentence may be too long).")
    for n, mask in enumerate(result.masks, 1):
        title = f"[MASK] {n} of {len(result.masks)}" if len(result.masks) > 1 else "[MASK]"
        presenter.show_chart(
            charts_inspect.topk_figure(mask.tokens, mask.probs, title),
            key=f"{key}_{n}",
            about="topk" if n == len(result.masks) else None,
            config=PLOT_CONFIG,
            width="stretch",
        )


def lens_panel(loaded: active_model.LoadedModel, query: str, top_k: int, key: str) -> None:
    """For every [MASK] of `query`: the model's guesses after each layer, as a layers × guesses heatmap."""
    if not loaded.has_trained_mlm_head:
        st.info("Layer by layer needs a model that can guess words too: see the Guesses tab.")
        return
    st.caption(
        "Each row sends the hidden vector at the blank, as it is after that layer, straight into the "
        "model's word-guessing head, as if the layers above were skipped. Watch where the right word first appears."
    )
    tables = layer_predictions(loaded.model, loaded.tokenizer, query, top_k=top_k)
    for n, table in enumerate(tables, 1):
        title = f"[MASK] {n} of {len(tables)}" if len(tables) > 1 else "[MASK]"
        presenter.show_chart(
            charts_explain.lens_figure(table, title),
            key=f"{key}_{n}",
            about="lens" if n == len(tables) else None,
            config=PLOT_CONFIG,
            width="stretch",
        )


# ---------------------------------------------------------------- chart clicks
def clicked(selection_state) -> list | None:
    """`customdata` of the first clicked point in a `st.plotly_chart(on_select=...)` state, or None."""
    try:
        points = selection_state["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or ():
        data = point.get("customdata")
        if data is not None:
            return data if isinstance(data, list) else [data]
    return None


def take_click(chart_key: str, last_key: str) -> list | None:
    """The chart's clicked `customdata` if it is new since the last call (so a click applies once)."""
    data = clicked(st.session_state.get(chart_key))
    if data is None or data == st.session_state.get(last_key):
        return None
    st.session_state[last_key] = data
    return data


# ---------------------------------------------------------------- embeddings
def cap_points(emb: EmbeddingSet, limit: int) -> tuple[EmbeddingSet, bool]:
    """At most `limit` rows (the first ones), and whether rows were dropped."""
    if len(emb.vectors) <= limit:
        return emb, False
    tokens = emb.tokens[:limit] if emb.tokens is not None else None
    return EmbeddingSet(emb.vectors[:limit], emb.text_index[:limit], emb.layer[:limit], tokens), True


def _short(text: str, n: int = 140) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def point_texts(emb: EmbeddingSet, texts: TextSet) -> list[str]:
    """What a point is: the text (sentence pooling) or the token in its text; its label and layer."""
    out = []
    for row, (i, layer) in enumerate(zip(emb.text_index.tolist(), emb.layer.tolist())):
        head = f"“{emb.tokens[row]}” in: " if emb.tokens is not None else ""
        label = f" [{texts.labels[i]}]" if texts.labels else ""
        out.append(f"{head}{_short(texts.texts[i])}{label} · layer {layer}")
    return out


def parse_words(text: str) -> list[str]:
    return [w.strip().lower() for w in text.split(",") if w.strip()]


def point_colours(emb: EmbeddingSet, texts: TextSet, by: str, words: Sequence[str]) -> list[str] | None:
    """A category per point: its label, its layer, or its word (token mode: the token; sentence
    mode: the first of `words` the sentence contains)."""
    if by == "label" and texts.labels:
        return [texts.labels[i] for i in emb.text_index.tolist()]
    if by == "layer":
        return [f"layer {layer}" for layer in emb.layer.tolist()]
    if by == "word" and emb.tokens is not None:
        if words:
            return [t if t in words else charts_embeddings.OTHER for t in emb.tokens]
        return charts_embeddings.categories(emb.tokens)
    if by == "word" and words:
        found = []
        for i in emb.text_index.tolist():
            present = set(re.findall(r"\w+", texts.texts[i].lower()))
            found.append(next((w for w in words if w in present), charts_embeddings.OTHER))
        return found
    return None


def neighbours(emb: EmbeddingSet, picked: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(indices, cosine similarities) of the `k` points nearest to point `picked`, by the full vectors."""
    return projection.nearest_neighbours(emb.vectors, picked, k=k)


def neighbour_rows(emb: EmbeddingSet, texts: TextSet, indices, sims) -> list[dict]:
    rows = []
    for rank, (row, sim) in enumerate(zip(indices.tolist(), sims.tolist()), 1):
        i = int(emb.text_index[row])
        entry = {"#": rank, "cosine": round(float(sim), 3)}
        if emb.tokens is not None:
            entry["token"] = emb.tokens[row]
        entry["text"] = texts.texts[i]
        if texts.labels:
            entry["label"] = texts.labels[i]
        if len(set(emb.layer.tolist())) > 1:
            entry["layer"] = int(emb.layer[row])
        rows.append(entry)
    return rows
