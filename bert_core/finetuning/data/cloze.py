"""Cloze-style span questions generated from a corpus, for larger demo QA training sets.

Take a sentence, blank out a name-like span (a run of capitalised words, not just the sentence's first
word) or a number, and ask the sentence back as a question: "The deal was signed in ____ last year?".
The context is the sentence with up to two neighbours on each side, so the model has to find the
sentence and read the gap off it (the recipe of unsupervised QA, Lewis et al. 2019, without the
paraphrasing). Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re

from ...data.builtin_corpora import resolve_corpus
from .squad import Answer, QAExample

__all__ = ["BLANK", "cloze_candidates", "generate_cloze"]

BLANK = "____"
_CAPITALISED = re.compile(r"[A-Z][A-Za-z'’.-]*[A-Za-z]|[A-Z]")
_NUMBER = re.compile(r"\d[\d,.]*\d(?:\s?(?:%|per cent|percent|million|billion))?|\d")
_CONNECTORS = {"of", "de", "the", "for"}
_NOT_NAMES = {
    "The",
    "A",
    "An",
    "I",
    "He",
    "She",
    "It",
    "They",
    "We",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "But",
    "And",
    "In",
    "On",
    "At",
    "As",
    "If",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "His",
    "Her",
    "Its",
    "Their",
    "There",
    "When",
    "While",
    "After",
    "Before",
    "However",
    "Yesterday",
    "Today",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
}


def cloze_candidates(sentence: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of name-like runs and numbers in a sentence."""
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", sentence)]
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []  # (start, end) of the capitalised words in the current run

    def close() -> None:
        while run and sentence[run[-1][0] : run[-1][1]].lower() in _CONNECTORS:
            run.pop()
        if run and not (len(run) == 1 and (run[0][0] == 0 or sentence[run[0][0] : run[0][1]] in _NOT_NAMES)):
            spans.append((run[0][0], run[-1][1]))
        run.clear()

    for start, _, word in words:
        m = _CAPITALISED.match(word)
        core = m.group().rstrip(".") if m else ""
        if core and core not in _NOT_NAMES or (run and word in _CONNECTORS):
            run.append((start, start + len(core or word)))
            if core and len(core) < len(word):  # trailing punctuation ends the name
                close()
        else:
            close()
    close()
    spans += [(m.start(), m.end()) for m in _NUMBER.finditer(sentence) if not any(a <= m.start() < b for a, b in spans)]
    return sorted(spans)


def generate_cloze(
    corpus: str = "builtin:lee",
    *,
    max_questions: int = 2000,
    seed: int = 0,
    per_document: int = 3,
    window: int = 2,
    min_words: int = 6,
    max_words: int = 40,
) -> list[QAExample]:
    """Cloze questions over a corpus (`builtin:lee`, `builtin:news`, or a file `resolve_corpus` reads).

    Args:
        corpus: the corpus name or path.
        max_questions: stop after this many.
        seed: picks the documents' order, the sentences and the blanked span.
        per_document: at most this many questions per document (more variety in a small set).
        window: sentences of context on each side of the question's sentence.
        min_words, max_words: sentence length bounds for a question.

    Returns:
        Examples whose `title` names their document (split by it to keep documents apart).
    """
    documents = resolve_corpus(corpus).documents
    rng = random.Random(seed)
    order = list(range(len(documents)))
    rng.shuffle(order)
    out: list[QAExample] = []
    for d in order:
        sentences = documents[d]
        usable = [
            i for i, s in enumerate(sentences) if min_words <= len(s.split()) <= max_words and cloze_candidates(s)
        ]
        for i in sorted(rng.sample(usable, min(per_document, len(usable)))):
            sentence = sentences[i]
            a, b = rng.choice(cloze_candidates(sentence))
            question = (sentence[:a] + BLANK + sentence[b:]).rstrip(" .!;:") + "?"
            before = sentences[max(0, i - window) : i]
            prefix = " ".join(before) + (" " if before else "")
            context = prefix + " ".join(sentences[i : i + window + 1])
            out.append(
                QAExample(
                    f"cloze-{d}-{i}", question, context, [Answer(sentence[a:b], len(prefix) + a)], title=f"doc-{d}"
                )
            )
            if len(out) >= max_questions:
                return out
    return out
