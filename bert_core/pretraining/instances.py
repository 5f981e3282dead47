"""Pretraining data: NSP sentence pairs and the MLM batches the training engine iterates.

``create_instances`` is Google's ``create_instances_from_document``: pack consecutive sentences into a chunk,
cut it at a random sentence boundary into A and B, and half of the time swap B for a span of another document.
The dataset that serves them as batches lives in ``dataset.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol

import torch

TokenizedSentence = tuple[list[int], list[bool]]
"""Token ids without special tokens, and per token "starts a word" (False for ``##`` pieces)."""
TokenizedDoc = list[TokenizedSentence]


class WordTokenizer(Protocol):
    """What ``tokenize_corpus`` needs from a tokenizer (``bert_core.tokenizer.Tokenizer`` has it)."""

    def tokenize_with_words(self, texts: list[str]) -> list[TokenizedSentence]: ...


@dataclass
class PretrainingInstance:
    """One NSP pair, before [CLS]/[SEP] are added and before masking."""

    tokens_a: list[int]
    tokens_b: list[int]
    is_random_next: bool  # HF next_sentence_label: 0 = B really follows A, 1 = B is random
    word_starts_a: list[bool]
    word_starts_b: list[bool]


class _Draws:
    """Uniform numbers from a ``torch.Generator``, fetched in blocks: one torch call per few thousand draws."""

    def __init__(self, gen: torch.Generator, block: int = 4096) -> None:
        self._gen, self._block, self._i = gen, block, 0
        self._buf: list[float] = []

    def random(self) -> float:
        if self._i == len(self._buf):
            self._buf = torch.rand(self._block, generator=self._gen, dtype=torch.float64).tolist()
            self._i = 0
        self._i += 1
        return self._buf[self._i - 1]

    def randint(self, low: int, high: int) -> int:
        """Uniform integer in ``[low, high]``, both ends included (like ``random.randint``)."""
        return low + min(int(self.random() * (high - low + 1)), high - low)

    def heads(self, n: int) -> int:
        """Heads in ``n`` fair coin flips, Binomial(n, 1/2): the set bits of random integers of <= 32 bits."""
        total = 0
        while n > 0:
            k = min(n, 32)
            total += int(self.random() * (1 << k)).bit_count()
            n -= k
        return total


def _concat(sentences: list[TokenizedSentence]) -> tuple[list[int], list[bool]]:
    ids: list[int] = []
    starts: list[bool] = []
    for s_ids, s_starts in sentences:
        ids += s_ids
        starts += s_starts
    return ids, starts


def _target_length(draws: _Draws, max_num_tokens: int, short_seq_prob: float) -> int:
    """Google's chunk target: usually full, sometimes short so pretraining also sees short inputs."""
    return draws.randint(2, max_num_tokens) if draws.random() < short_seq_prob else max_num_tokens


def _truncate_pair(inst: PretrainingInstance, max_num_tokens: int, draws: _Draws) -> None:
    """Google's ``truncate_seq_pair`` in closed form: the same distribution, without a loop over tokens.

    Google removes one token at a time from the longer side (B on a tie), from the front or the back with
    probability 1/2. Which side loses how many tokens does not depend on the coin flips, so compute the two
    counts first, then draw how many of each side's cuts fall at the front.
    """
    la, lb = len(inst.tokens_a), len(inst.tokens_b)
    excess = la + lb - max_num_tokens
    if excess <= 0:
        return
    d = min(excess, abs(la - lb))
    cut_a, cut_b = (d, 0) if la > lb else (0, d)
    cut_a, cut_b = cut_a + (excess - d) // 2, cut_b + (excess - d + 1) // 2
    for side, cut in (("a", cut_a), ("b", cut_b)):
        if cut == 0:
            continue
        front = draws.heads(cut)
        ids, starts = getattr(inst, f"tokens_{side}"), getattr(inst, f"word_starts_{side}")
        end = len(ids) - (cut - front)
        setattr(inst, f"tokens_{side}", ids[front:end])
        setattr(inst, f"word_starts_{side}", starts[front:end])


def _pair_from_chunk(
    chunk: list[TokenizedSentence],
    docs: list[TokenizedDoc],
    doc_index: int,
    target: int,
    draws: _Draws,
    nsp_probability: float,
) -> tuple[PretrainingInstance | None, int]:
    """Split a chunk into an NSP pair; returns ``(instance or None, number of sentences to put back)``."""
    allow_random = len(docs) >= 2 and nsp_probability > 0
    is_random = allow_random and draws.random() < nsp_probability
    a_end = draws.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
    a_ids, a_starts = _concat(chunk[:a_end])
    if not is_random and len(chunk) >= 2:
        b_ids, b_starts = _concat(chunk[a_end:])
        return PretrainingInstance(a_ids, b_ids, False, a_starts, b_starts), 0
    if not is_random and len(a_ids) >= 2:
        # A one-sentence chunk (a one-sentence document, or one sentence longer than the target): Google makes
        # it random-next, which skews the labels; here its true continuation is its own second half, cut at a
        # word start where there is one.
        cuts = [k for k in range(1, len(a_ids)) if a_starts[k]] or list(range(1, len(a_ids)))
        k = cuts[draws.randint(0, len(cuts) - 1)]
        return PretrainingInstance(a_ids[:k], a_ids[k:], False, a_starts[:k], a_starts[k:]), 0
    if not allow_random:
        return None, 0  # a lone token with nothing to pair it with

    other = draws.randint(0, len(docs) - 2)
    other += other >= doc_index  # uniform over the other documents
    random_doc = docs[other]
    b_ids, b_starts = [], []
    for s_ids, s_starts in random_doc[draws.randint(0, len(random_doc) - 1) :]:
        b_ids += s_ids
        b_starts += s_starts
        if len(b_ids) >= target - len(a_ids):
            break
    return PretrainingInstance(a_ids, b_ids, True, a_starts, b_starts), len(chunk) - a_end


def create_instances(
    docs: list[TokenizedDoc],
    max_seq_length: int,
    gen: torch.Generator,
    *,
    short_seq_prob: float = 0.1,
    nsp_probability: float = 0.5,
) -> list[PretrainingInstance]:
    """Build NSP pairs from tokenized documents (Google's ``create_instances_from_document``).

    Consecutive sentences are packed until the chunk reaches the target length (``max_seq_length - 3``, or with
    probability ``short_seq_prob`` a random length in ``[2, max_seq_length - 3]``, redrawn for every chunk where
    Google draws once per document). The chunk is cut at a random sentence boundary into A and B. With
    probability ``nsp_probability`` B is replaced by a span of a uniformly chosen other document, starting at a
    random sentence, and the sentences of the true B are put back for the next chunk. The pair is then
    truncated (longer side first, a token at a time from a random end) to ``max_seq_length - 3`` tokens.

    Deviations from Google: a one-sentence chunk is cut inside the sentence (at a word start) instead of being
    forced to random-next, so the labels stay balanced; with a single document there is nothing to draw a random
    B from, so every pair is a true continuation and a warning is issued. Empty sentences and documents are
    skipped. Instances come in document order; ``PretrainingDataset`` shuffles them.

    Args:
        docs: documents, each a list of ``(token ids, word starts)`` sentences without special tokens.
        max_seq_length: length of ``[CLS] A [SEP] B [SEP]`` at most; at least 5.
        gen: the generator every random choice is drawn from.
        short_seq_prob: probability that a chunk aims at a shorter random length.
        nsp_probability: probability that B is random (``is_random_next``).

    Returns:
        The instances, each with non-empty A and B and ``len(A) + len(B) <= max_seq_length - 3``.

    Raises:
        ValueError: on ``max_seq_length < 5``, probabilities outside [0, 1], or a sentence whose ids and word
            starts differ in length.
    """
    if max_seq_length < 5:
        raise ValueError(f"max_seq_length must be >= 5 ([CLS] A [SEP] B [SEP]), got {max_seq_length}")
    for name, p in (("short_seq_prob", short_seq_prob), ("nsp_probability", nsp_probability)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {p}")
    cleaned: list[TokenizedDoc] = []
    for d, doc in enumerate(docs):
        for s, (ids, starts) in enumerate(doc):
            if len(ids) != len(starts):
                raise ValueError(f"document {d} sentence {s}: {len(ids)} ids but {len(starts)} word starts")
        if kept := [sentence for sentence in doc if sentence[0]]:
            cleaned.append(kept)
    if len(cleaned) == 1 and nsp_probability > 0:
        warnings.warn(
            "one document only: no random next sentences, every NSP pair is a true continuation", stacklevel=2
        )

    max_num_tokens = max_seq_length - 3
    draws = _Draws(gen)
    instances: list[PretrainingInstance] = []
    for doc_index, doc in enumerate(cleaned):
        chunk: list[TokenizedSentence] = []
        length, i = 0, 0
        target = _target_length(draws, max_num_tokens, short_seq_prob)
        while i < len(doc):
            chunk.append(doc[i])
            length += len(doc[i][0])
            if i == len(doc) - 1 or length >= target:
                inst, put_back = _pair_from_chunk(chunk, cleaned, doc_index, target, draws, nsp_probability)
                if inst is not None:
                    _truncate_pair(inst, max_num_tokens, draws)
                    instances.append(inst)
                i -= put_back
                chunk, length = [], 0
                target = _target_length(draws, max_num_tokens, short_seq_prob)
            i += 1
    return instances


def tokenize_corpus(documents: list[list[str]], tokenizer: WordTokenizer, batch_size: int = 1000) -> list[TokenizedDoc]:
    """Tokenize documents of sentences with ``tokenizer.tokenize_with_words``, many sentences per call.

    Args:
        documents: documents, each a list of sentence strings.
        tokenizer: anything with ``tokenize_with_words(texts) -> [(ids, word_starts), ...]``.
        batch_size: sentences per tokenizer call.

    Returns:
        One ``TokenizedDoc`` per document that still has a sentence; blank sentences, sentences that tokenize to
        nothing, and documents left empty are dropped.

    Raises:
        ValueError: on ``batch_size < 1`` or a tokenizer that returns the wrong number of results.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    texts: list[str] = []
    owner: list[int] = []  # document index of each text
    for d, doc in enumerate(documents):
        for sentence in doc:
            if sentence.strip():
                texts.append(sentence.strip())
                owner.append(d)
    out: list[TokenizedDoc] = [[] for _ in documents]
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        encoded = tokenizer.tokenize_with_words(batch)
        if len(encoded) != len(batch):
            raise ValueError(f"tokenizer returned {len(encoded)} results for {len(batch)} sentences")
        for d, (ids, starts) in zip(owner[start : start + batch_size], encoded):
            if ids:
                out[d].append((list(ids), list(starts)))
    return [doc for doc in out if doc]
