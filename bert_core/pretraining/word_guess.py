"""Does a pretrained model guess real words? Content words masked in held-out sentences, top-1 and top-k.

The items are chosen without looking at the model: one content word per sentence (alphabetic, at least
three letters, not a stop word, and a whole word of BERT's uncased vocabulary, so common enough to be
guessable rather than a rare name), picked by a seeded draw. The word's one occurrence is replaced by a
single `[MASK]`; a word the model's vocabulary cannot spell as one token counts as a miss, so a small
trained vocabulary pays for what it cannot say.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import torch
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from torch import nn

from ..data.sentences import split_sentences
from ..inspect.fill_mask import fill_mask
from ..tokenizer.encoding import Tokenizer

__all__ = ["WordItem", "WordGuessScore", "content_word_items", "score_word_guesses"]

_WORD = re.compile(r"\b[A-Za-z]+\b")
_EXTRA_STOP = {"said", "says", "told", "just", "also", "like", "mr", "mrs", "ms"}  # news filler: too easy


@dataclass(frozen=True)
class WordItem:
    """One held-out question: `masked` is `sentence` with `word` replaced by one `[MASK]`."""

    sentence: str
    word: str  # lowercase
    masked: str


@dataclass(frozen=True)
class WordGuessScore:
    items: int
    top1: float  # fraction of items whose word is the first guess
    topk: float  # fraction of items whose word is among the first k guesses
    k: int
    spellable: float  # fraction of items whose word is one token of the model's vocabulary
    examples: list[tuple[str, str, list[str]]]  # (masked sentence, word, guesses) for the first items


def _is_content_word(word: str, reference_vocab: set[str]) -> bool:
    w = word.lower()
    return len(w) >= 3 and w not in ENGLISH_STOP_WORDS and w not in _EXTRA_STOP and w in reference_vocab


def content_word_items(
    texts: list[str], reference: Tokenizer, n: int = 200, seed: int = 0, min_words: int = 8, max_words: int = 40
) -> list[WordItem]:
    """Up to `n` items, one per sentence of `min_words`–`max_words` words, from `texts` in a seeded order.

    Args:
        texts: held-out documents (never seen in training).
        reference: the tokenizer whose vocabulary decides what counts as a common word (BERT's uncased
            vocabulary in practice), the same for every model compared.
        n: items wanted.
        seed: draws the sentence order and the word of each sentence.
    """
    vocab = {t for t in reference.get_vocab() if t.isalpha()}
    sentences = [s for text in texts for s in split_sentences(text) if min_words <= len(s.split()) <= max_words]
    rng = random.Random(seed)
    rng.shuffle(sentences)
    items: list[WordItem] = []
    for sentence in sentences:
        matches = [m for m in _WORD.finditer(sentence) if m.group().islower() and _is_content_word(m.group(), vocab)]
        once = [m for m in matches if sum(o.group() == m.group() for o in matches) == 1]
        if not once:
            continue
        m = rng.choice(once)
        masked = sentence[: m.start()] + "[MASK]" + sentence[m.end() :]
        items.append(WordItem(sentence, m.group(), masked))
        if len(items) == n:
            break
    return items


@torch.inference_mode()
def score_word_guesses(
    model: nn.Module, tokenizer: Tokenizer, items: list[WordItem], k: int = 5, batch_size: int = 32, examples: int = 8
) -> WordGuessScore:
    """How often the model's top-1 and top-`k` guesses at each item's `[MASK]` are the hidden word."""
    if not items:
        raise ValueError("no items to score: the held-out texts have no usable sentences")
    vocab = tokenizer.get_vocab()
    top1 = topk = spellable = 0
    shown: list[tuple[str, str, list[str]]] = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        for item, result in zip(chunk, fill_mask(model, tokenizer, [it.masked for it in chunk], top_k=k)):
            target = vocab.get(item.word)
            guess = result.masks[0] if result.masks else None  # no mask: cut off by the model's length limit
            spellable += target is not None
            if guess is None:
                continue
            top1 += target is not None and guess.ids[0] == target
            topk += target is not None and target in guess.ids
            if len(shown) < examples:
                shown.append((item.masked, item.word, guess.tokens))
    total = len(items)
    return WordGuessScore(total, top1 / total, topk / total, k, spellable / total, shown)
