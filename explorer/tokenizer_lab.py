"""The tokenizer page's computations: token tables, vocabulary training and vocabulary comparison."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import streamlit as st

from bert_core.assets import minilm_dir
from bert_core.data import resolve_corpus
from bert_core.tokenizer import Tokenizer

SAMPLE_SENTENCES = 2000  # sentences scored when comparing vocabularies


@st.cache_resource
def stock_tokenizer() -> Tokenizer:
    """The packaged uncased BERT vocabulary (30,522 tokens), shared read-only."""
    return Tokenizer.from_pretrained(minilm_dir())


def token_rows(tokenizer: Tokenizer, text: str, pair: str | None = None) -> list[dict]:
    """One row per token: position, token, id, segment, whether it is [UNK], the word it came from."""
    enc = tokenizer.encode(text, pair or None)
    unk = tokenizer.unk_token_id
    rows = []
    for i, (tok, tid, seg, word, (a, b)) in enumerate(
        zip(enc.tokens, enc.input_ids, enc.token_type_ids, enc.word_ids, enc.offsets)
    ):
        source = (pair or "") if seg == 1 else text
        rows.append(
            {
                "#": i,
                "token": tok,
                "id": tid,
                "segment": "A" if seg == 0 else "B",
                "unk": tid == unk,
                "word": source[a:b] if word is not None else "",
            }
        )
    return rows


@dataclass(frozen=True)
class TrainedVocab:
    corpus: str  # what to call it: a built-in's name or an upload's original name
    requested_size: int
    tokenizer: Tokenizer
    seconds: float
    spec: str = ""  # what it was trained on, for bert_core (`builtin:lee` or an upload's saved path)
    text_column: str | None = None  # an upload's text column (CSV / JSON lines)


def corpus_sentences(spec: str, **read_kwargs: object) -> list[str]:
    """Every sentence of a corpus (keyword arguments go to `resolve_corpus`: an upload's text column)."""
    return [s for d in resolve_corpus(spec, **read_kwargs).documents for s in d]


def train_vocab(
    corpus: tuple[str, str], size: int, text_column: str | None = None, **read_kwargs: object
) -> TrainedVocab:
    """Train a WordPiece vocabulary of (at most) `size` tokens on `corpus` ((spec, label to show)), timed.

    Keyword arguments go to `resolve_corpus` (an upload's text column and size limit).

    Raises:
        CorpusError / ValueError: the corpus does not read, or gives no vocabulary.
    """
    started = time.perf_counter()
    spec, label = corpus
    tokenizer = Tokenizer.train(corpus_sentences(spec, **read_kwargs), vocab_size=size)
    return TrainedVocab(
        label.removeprefix("builtin:"), size, tokenizer, time.perf_counter() - started, spec, text_column
    )


def comparison_sentences(trained: TrainedVocab, **read_kwargs: object) -> list[str]:
    """A seeded sample of the sentences `trained` was trained on, to compare vocabularies on."""
    return sample(corpus_sentences(trained.spec, **read_kwargs))


def vocab_stats(tokenizer: Tokenizer, sentences: list[str]) -> dict[str, float]:
    """Tokens per (whitespace) word and the share of [UNK] tokens over `sentences`."""
    ids = tokenizer.tokenize_ids(sentences)
    tokens = sum(len(x) for x in ids)
    words = sum(len(s.split()) for s in sentences)
    unks = sum(x.count(tokenizer.unk_token_id) for x in ids)
    return {
        "tokens_per_word": tokens / max(words, 1),
        "unk_rate": unks / max(tokens, 1),
        "vocab_size": tokenizer.vocab_size,
        "tokens": tokens,
    }


def sample(sentences: list[str], n: int = SAMPLE_SENTENCES, seed: int = 0) -> list[str]:
    """At most `n` of `sentences`, a seeded sample."""
    return sentences if len(sentences) <= n else random.Random(seed).sample(sentences, n)


def split_examples(tokenizers: dict[str, Tokenizer], sentences: list[str], n: int = 6) -> list[dict]:
    """Words whose splits differ most between the vocabularies, one row per word."""
    words = sorted({w.strip(".,;:!?\"'()").lower() for s in sentences for w in s.split()}, key=lambda w: (-len(w), w))
    rows = []
    first = next(iter(tokenizers.values()))
    for word in words:
        if not word.isalpha():
            continue
        splits = {name: " ".join(t.encode(word).tokens[1:-1]) for name, t in tokenizers.items()}
        if len(set(splits.values())) > 1 or len(first.encode(word).tokens) > 4:
            rows.append({"word": word, **splits})
        if len(rows) >= n:
            break
    return rows
