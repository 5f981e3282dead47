"""WordPiece tokenizer for BERT, built on Hugging Face ``tokenizers``.

The pipeline is the one ``transformers.BertTokenizerFast`` builds (BertNormalizer,
BertPreTokenizer, WordPiece with ``##`` continuations, a ``[CLS] A [SEP] B [SEP]``
template, the WordPiece decoder), so ids, offsets and word ids match it exactly and
a folder written by :meth:`Tokenizer.save_pretrained` loads in ``transformers``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import tokenizers
from tokenizers import normalizers
from tokenizers.models import WordPiece

from .files import model_max_length, read_tokenizer_config, tokenizer_file, write_tokenizer_files
from .pipeline import (
    CLS,
    MASK,
    MAX_CHARS_PER_WORD,
    PAD,
    SEP,
    SPECIAL_TOKENS,
    UNK,
    Encoding,
    bert_pipeline,
    check_specials,
    finish_backend,
    to_encoding,
)
from .training import train_wordpiece

__all__ = ["Tokenizer"]


class Tokenizer:
    """BERT WordPiece tokenizer giving the same output as ``BertTokenizerFast``.

    Thread-safe: the wrapped backend is never reconfigured after construction (each
    ``max_length`` gets its own frozen copy), so one instance can be shared between
    Streamlit sessions.
    """

    def __init__(self, backend: tokenizers.Tokenizer, *, model_max_length: int = 512) -> None:
        """Wrap a BERT-style ``tokenizers.Tokenizer``.

        Args:
            backend: Its vocabulary must hold the five specials. Its truncation and
                padding are switched off: :meth:`encode` decides those per call.
            model_max_length: Longest input the matching model accepts (saved to config).

        Raises:
            ValueError: If a special token is missing from the vocabulary.
        """
        vocab = backend.get_vocab()
        check_specials(vocab)
        backend.no_truncation()
        backend.no_padding()
        self._backend = backend
        self.model_max_length = model_max_length
        self._ids = {t: vocab[t] for t in SPECIAL_TOKENS}
        self.special_ids: frozenset[int] = frozenset(self._ids.values())
        self.lowercase: bool = bool(getattr(backend.normalizer, "lowercase", False))
        self._truncating: dict[int, tokenizers.Tokenizer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_vocab(cls, vocab: dict[str, int] | str | Path, lowercase: bool = True) -> Tokenizer:
        """Build a BERT tokenizer from a vocabulary.

        Args:
            vocab: A token → id mapping, or the path of a ``vocab.txt`` (one token a line).
            lowercase: Lowercase and strip accents (an "uncased" model).

        Raises:
            FileNotFoundError: If ``vocab`` is a path that does not exist.
            ValueError: If a special token is missing from the vocabulary.
        """
        if not isinstance(vocab, dict):
            if not Path(vocab).is_file():
                raise FileNotFoundError(f"vocabulary file not found: {vocab}")
            vocab = WordPiece.read_file(str(vocab))
        model = WordPiece(
            dict(vocab), unk_token=UNK, continuing_subword_prefix="##", max_input_chars_per_word=MAX_CHARS_PER_WORD
        )
        backend = tokenizers.Tokenizer(model)
        bert_pipeline(backend, lowercase)
        finish_backend(backend)
        return cls(backend)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> Tokenizer:
        """Load a Hugging Face tokenizer folder, or a ``tokenizer.json`` / ``vocab.txt`` file.

        A folder's ``tokenizer.json`` wins over its ``vocab.txt``; ``do_lower_case``
        (default True) and ``model_max_length`` come from ``tokenizer_config.json``.

        Args:
            path: The folder or file.

        Raises:
            FileNotFoundError: If there is neither file.
            ValueError: If the vocabulary lacks a special token.
        """
        config = read_tokenizer_config(path)
        lowercase = bool(config.get("do_lower_case", True))
        max_len = model_max_length(config)
        path = tokenizer_file(path)
        if path.suffix != ".json":
            tok = cls.from_vocab(path, lowercase=lowercase)
            tok.model_max_length = max_len
            return tok
        backend = tokenizers.Tokenizer.from_file(str(path))
        norm = backend.normalizer
        # An explicit do_lower_case overrides the json's normalizer, as in transformers.
        if isinstance(norm, normalizers.BertNormalizer) and "do_lower_case" in config and norm.lowercase != lowercase:
            bert_pipeline(backend, lowercase)
        return cls(backend, model_max_length=max_len)

    @classmethod
    def train(
        cls,
        texts_or_files: Iterable[str] | list[Path],
        vocab_size: int = 30522,
        *,
        lowercase: bool = True,
        min_frequency: int = 2,
        show_progress: bool = False,
    ) -> Tokenizer:
        """Learn a WordPiece vocabulary whose specials are ids 0..4 (``[PAD]`` first).

        Args:
            texts_or_files: Texts, or paths of UTF-8 text files (read line by line). A
                ``str`` naming an existing file is read as a file; other strings are texts.
            vocab_size: Largest vocabulary size, specials included.
            lowercase: Train an uncased vocabulary.
            min_frequency: Fewest occurrences a merge needs.
            show_progress: Print the trainer's progress bar.

        Returns:
            The trained tokenizer (its vocabulary may be smaller than ``vocab_size``).

        Raises:
            ValueError: If ``vocab_size`` is below 16.
            FileNotFoundError: If a ``Path`` does not exist.
        """
        vocab = train_wordpiece(
            texts_or_files, vocab_size, lowercase=lowercase, min_frequency=min_frequency, show_progress=show_progress
        )
        return cls.from_vocab(vocab, lowercase=lowercase)

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``vocab.txt``, ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``.

        Each file is written atomically; the folder loads in ``BertTokenizerFast.from_pretrained``.

        Args:
            path: Folder to write into (created if missing).

        Raises:
            ValueError: If the ids are not exactly ``0..len-1`` (``vocab.txt`` stores an id as a line number).
        """
        write_tokenizer_files(Path(path), self._backend, self.get_vocab(), self.lowercase, self.model_max_length)

    def _backend_for(self, max_length: int | None, truncation: bool, is_pair: bool) -> tokenizers.Tokenizer:
        if max_length is None or not truncation:
            return self._backend
        num_special = 3 if is_pair else 2
        if max_length < num_special:
            raise ValueError(f"max_length must be at least {num_special} (the special tokens), got {max_length}")
        with self._lock:
            backend = self._truncating.get(max_length)
            if backend is None:
                backend = tokenizers.Tokenizer.from_str(self._backend.to_str())
                backend.enable_truncation(max_length, strategy="longest_first")
                self._truncating[max_length] = backend
        return backend

    def encode(
        self, text: str, pair: str | None = None, *, max_length: int | None = None, truncation: bool = True
    ) -> Encoding:
        """Encode ``[CLS] text [SEP]``, or ``[CLS] text [SEP] pair [SEP]``.

        Args:
            text: First segment.
            pair: Optional second segment (token type 1).
            max_length: Most tokens, specials included; ``None`` for no limit.
            truncation: Cut to ``max_length`` "longest_first" (the longer segment loses a
                token at a time); without it ``max_length`` is ignored.

        Returns:
            The encoding; offsets of ``pair`` tokens index into ``pair``.

        Raises:
            ValueError: If ``max_length`` is below the number of specials (2, or 3 for a pair).
        """
        return to_encoding(self._backend_for(max_length, truncation, pair is not None).encode(text, pair))

    def encode_batch(
        self,
        texts: list[str],
        pairs: list[str] | None = None,
        *,
        max_length: int | None = None,
        truncation: bool = True,
        padding: bool = False,
    ) -> list[Encoding]:
        """Encode many sequences or pairs in parallel (see :meth:`encode`).

        Args:
            texts: First segments.
            pairs: Second segments, one per text, or ``None``.
            max_length: Most tokens per sequence, specials included.
            truncation: Cut each sequence to ``max_length`` "longest_first".
            padding: Pad with ``[PAD]`` (mask 0, type 0, word id None) to the batch's longest.

        Returns:
            One :class:`Encoding` per text.

        Raises:
            ValueError: If ``pairs`` and ``texts`` differ in length, or ``max_length`` is too small.
        """
        if pairs is not None and len(pairs) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(pairs)} pairs")
        inputs = list(texts) if pairs is None else list(zip(texts, pairs))
        encs = [
            to_encoding(e) for e in self._backend_for(max_length, truncation, pairs is not None).encode_batch(inputs)
        ]
        longest = max((len(e) for e in encs), default=0)
        for e in encs if padding else ():
            n = longest - len(e)
            e.input_ids += [self.pad_token_id] * n
            e.token_type_ids += [0] * n
            e.attention_mask += [0] * n
            e.offsets += [(0, 0)] * n
            e.word_ids += [None] * n
            e.tokens += [PAD] * n
            e.special_tokens_mask += [1] * n
        return encs

    def tokenize_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, without special tokens (fast batch, for corpus pre-tokenisation)."""
        encode = getattr(self._backend, "encode_batch_fast", self._backend.encode_batch)  # fast skips offsets
        return [e.ids for e in encode(list(texts), add_special_tokens=False)]

    def tokenize_with_words(self, texts: list[str]) -> list[tuple[list[int], list[bool]]]:
        """Token ids without specials, each flagged True where it starts a new word.

        A word is a pre-token (punctuation is a word of its own), so ``playing`` →
        ``play ##ing`` gives ``[True, False]``: the unit whole-word masking masks together.
        """
        out = []
        for enc in self._backend.encode_batch(list(texts), add_special_tokens=False):
            words = enc.word_ids
            out.append((enc.ids, [i == 0 or w != words[i - 1] for i, w in enumerate(words)]))
        return out

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Text from ids: ``##`` pieces joined, spaces before punctuation removed."""
        return self._backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        """Tokens for ids; an id outside the vocabulary gives ``[UNK]``."""
        return [self._backend.id_to_token(int(i)) or UNK for i in ids]

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        """Ids for tokens; an unknown token gives ``[UNK]``'s id."""
        ids = (self._backend.token_to_id(t) for t in tokens)
        return [self.unk_token_id if i is None else i for i in ids]

    def get_vocab(self) -> dict[str, int]:
        """The token → id mapping, specials included."""
        return self._backend.get_vocab(with_added_tokens=True)

    @property
    def backend(self) -> tokenizers.Tokenizer:
        """The wrapped ``tokenizers.Tokenizer``; do not reconfigure it."""
        return self._backend

    @property
    def vocab_size(self) -> int:
        return self._backend.get_vocab_size(with_added_tokens=True)

    def __len__(self) -> int:
        return self.vocab_size

    @property
    def pad_token_id(self) -> int:
        return self._ids[PAD]

    @property
    def unk_token_id(self) -> int:
        return self._ids[UNK]

    @property
    def cls_token_id(self) -> int:
        return self._ids[CLS]

    @property
    def sep_token_id(self) -> int:
        return self._ids[SEP]

    @property
    def mask_token_id(self) -> int:
        return self._ids[MASK]

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, lowercase={self.lowercase})"
