"""Pre-tokenised corpora and trained vocabularies cached on disk, keyed by the corpus text (and the vocabulary
or the training settings).

Training a WordPiece vocabulary on `builtin:news` (2M words) and tokenising it take seconds each; a second
run, or the app after a restart, reads them back instead. The cached vocabulary also makes two runs on one
machine use the very same vocabulary: the WordPiece trainer breaks ties differently from call to call on
small corpora (huggingface/tokenizers#1794), so a retrained one could differ.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol

import torch
from safetensors.torch import load_file, save_file

from ..io import atomic_write
from ..tokenizer.training import train_wordpiece
from .instances import TokenizedDoc, WordTokenizer, tokenize_corpus


class VocabWordTokenizer(WordTokenizer, Protocol):
    """A `WordTokenizer` with a vocabulary: the cache key includes it (`bert_core.tokenizer.Tokenizer` has both)."""

    def get_vocab(self) -> dict[str, int]: ...


def default_cache_dir() -> Path:
    """`$BERT_EXPLORER_CACHE`, else `~/.cache/bert_explorer`."""
    return Path(os.environ.get("BERT_EXPLORER_CACHE", Path.home() / ".cache" / "bert_explorer"))


def corpus_hash(documents: list[list[str]]) -> str:
    """A stable SHA-256 of the documents' sentences (also recorded in run.json)."""
    digest = hashlib.sha256()
    for doc in documents:
        for sentence in doc:
            digest.update(sentence.encode("utf-8"))
            digest.update(b"\x1e")
        digest.update(b"\x1d")
    return digest.hexdigest()


def _tokenizer_hash(tokenizer: VocabWordTokenizer) -> str:
    vocab = tokenizer.get_vocab()
    payload = json.dumps([getattr(tokenizer, "lowercase", True), sorted(vocab.items(), key=lambda kv: kv[1])])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _pack(docs: list[TokenizedDoc]) -> dict[str, torch.Tensor]:
    ids: list[int] = []
    starts: list[bool] = []
    sentence_ends: list[int] = []
    doc_ends: list[int] = []
    for doc in docs:
        for s_ids, s_starts in doc:
            ids += s_ids
            starts += s_starts
            sentence_ends.append(len(ids))
        doc_ends.append(len(sentence_ends))
    return {
        "ids": torch.tensor(ids, dtype=torch.int32),
        "starts": torch.tensor(starts, dtype=torch.bool),
        "sentence_ends": torch.tensor(sentence_ends, dtype=torch.int64),
        "doc_ends": torch.tensor(doc_ends, dtype=torch.int64),
    }


def _unpack(arrays: dict[str, torch.Tensor]) -> list[TokenizedDoc]:
    ids, starts = arrays["ids"].tolist(), arrays["starts"].tolist()
    sentence_ends, doc_ends = arrays["sentence_ends"].tolist(), arrays["doc_ends"].tolist()
    docs: list[TokenizedDoc] = []
    sentence, begin = 0, 0
    for doc_end in doc_ends:
        doc: TokenizedDoc = []
        while sentence < doc_end:
            end = sentence_ends[sentence]
            doc.append((ids[begin:end], starts[begin:end]))
            begin, sentence = end, sentence + 1
        docs.append(doc)
    return docs


def trained_vocab_cached(
    documents: list[list[str]], vocab_size: int, cache_dir: str | Path | None = None
) -> dict[str, int]:
    """`train_wordpiece` on the documents (uncased), memoised on disk like `tokenize_cached`."""
    texts = [" ".join(doc) for doc in documents]  # as `Corpus.texts`
    if cache_dir == "":
        return train_wordpiece(texts, vocab_size)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / "vocab" / f"{corpus_hash(documents)[:24]}-{vocab_size}.json"
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(vocab, dict) and sorted(vocab.values()) == list(range(len(vocab))):
            return {str(k): int(v) for k, v in vocab.items()}
    except (OSError, ValueError):
        pass  # missing or corrupt: trained again
    vocab = train_wordpiece(texts, vocab_size)
    try:
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(vocab), encoding="utf-8"))
    except OSError:
        pass
    return vocab


def tokenize_cached(
    documents: list[list[str]], tokenizer: VocabWordTokenizer, cache_dir: str | Path | None = None
) -> list[TokenizedDoc]:
    """`tokenize_corpus`, memoised on disk (pass `cache_dir=False`-y `""` to disable)."""
    if cache_dir == "":
        return tokenize_corpus(documents, tokenizer)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / "tokenized" / f"{corpus_hash(documents)[:24]}-{_tokenizer_hash(tokenizer)[:16]}.safetensors"
    if path.is_file():
        try:
            return _unpack(load_file(str(path)))
        except Exception:  # a corrupt cache file is rebuilt, never trusted
            path.unlink(missing_ok=True)
    docs = tokenize_corpus(documents, tokenizer)
    try:
        arrays = _pack(docs)
        atomic_write(path, lambda tmp: save_file(arrays, str(tmp)))
    except OSError:
        pass  # a read-only or full disk only costs speed
    return docs
