"""Learning a WordPiece vocabulary from texts or files (what `Tokenizer.train` runs)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import tokenizers
from tokenizers import trainers
from tokenizers.models import WordPiece

from .pipeline import MAX_CHARS_PER_WORD, SPECIAL_TOKENS, UNK, bert_pipeline

MIN_TRAIN_VOCAB = 16  # the five specials and an alphabet


def _names_file(text: str) -> bool:
    try:
        return len(text) < 4096 and "\n" not in text and Path(text).is_file()
    except (OSError, ValueError):  # a text with a NUL byte, or too long a name for the OS
        return False


def _texts_from(items: Iterable[str | Path]) -> Iterator[str]:
    """Yield training texts: files are read line by line, other strings pass through."""
    for item in items:
        if isinstance(item, Path) and not item.is_file():
            raise FileNotFoundError(f"training file not found: {item}")
        if not isinstance(item, Path) and not _names_file(item):
            yield item
            continue
        # errors="replace": one bad byte in a large corpus should not abort training.
        with Path(item).open(encoding="utf-8-sig", errors="replace") as f:
            yield from f


def train_wordpiece(
    texts_or_files: Iterable[str] | list[Path],
    vocab_size: int,
    *,
    lowercase: bool = True,
    min_frequency: int = 2,
    show_progress: bool = False,
) -> dict[str, int]:
    """A WordPiece vocabulary (token → id) learned from `texts_or_files`, specials first (ids 0..4).

    See `Tokenizer.train` for the arguments and errors; ids are deterministic for a given token set.
    """
    if vocab_size < MIN_TRAIN_VOCAB:
        raise ValueError(f"vocab_size must be at least {MIN_TRAIN_VOCAB} (specials and an alphabet), got {vocab_size}")
    model = WordPiece(unk_token=UNK, continuing_subword_prefix="##", max_input_chars_per_word=MAX_CHARS_PER_WORD)
    backend = tokenizers.Tokenizer(model)
    bert_pipeline(backend, lowercase)
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        # Each kept character may also appear as "##c", so a small vocabulary keeps fewer
        # characters (the rarest become [UNK]) rather than outgrowing vocab_size.
        limit_alphabet=min(1000, (vocab_size - len(SPECIAL_TOKENS)) // 2),
        continuing_subword_prefix="##",
        show_progress=show_progress,
    )
    backend.train_from_iterator(_texts_from(texts_or_files), trainer=trainer)
    # The trainer numbers tokens in hash-map order, so ids differ from run to run
    # (huggingface/tokenizers#1794; ties can even change the token set). Renumbering
    # sorted makes the same token set always give the same ids: alphabet, "##"
    # characters, then longer pieces.
    learned = [t for t in backend.get_vocab() if t not in SPECIAL_TOKENS]
    learned.sort(key=lambda t: (len(t.removeprefix("##")) > 1, t.startswith("##"), t))
    return {t: i for i, t in enumerate([*SPECIAL_TOKENS, *learned])}


def reachable_vocab_size(
    texts: Iterable[str], limit: int = 30000, *, min_frequency: int = 2, max_words: int = 300_000
) -> tuple[int, bool]:
    """How many pieces a WordPiece vocabulary trained on `texts` can have, at most `limit`: a trial.

    The trainer stops adding pieces when no pair of pieces occurs `min_frequency` times any more,
    so a small corpus cannot fill a large vocabulary; training once with `limit` shows where it
    stops. Only the first `max_words` words are used (a trial on a big corpus would take seconds),
    so a result below `limit` from a cut corpus is a lower bound.

    Returns:
        (size, exact): `exact` is False when the corpus was cut and the trial fell short of `limit`.
    """
    kept: list[str] = []
    words, cut = 0, False
    for text in texts:
        if words >= max_words:
            cut = True
            break
        kept.append(text)
        words += len(text.split())
    size = len(train_wordpiece(kept, limit, min_frequency=min_frequency)) if kept else len(SPECIAL_TOKENS)
    return size, size >= limit or not cut
