"""The BERT WordPiece pipeline on a `tokenizers` backend: special tokens, normalizer, pre-tokenizer, template;
and its output as plain lists (`Encoding`)."""

from __future__ import annotations

from dataclasses import dataclass

import tokenizers
from tokenizers import decoders, normalizers, pre_tokenizers, processors

__all__ = [
    "PAD",
    "UNK",
    "CLS",
    "SEP",
    "MASK",
    "SPECIAL_TOKENS",
    "MAX_CHARS_PER_WORD",
    "check_specials",
    "bert_pipeline",
    "finish_backend",
    "Encoding",
    "to_encoding",
]

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK)  # a trained vocabulary numbers them 0..4
MAX_CHARS_PER_WORD = 100  # longer words become one [UNK], as in Google's BERT


def check_specials(vocab: dict[str, int]) -> None:
    """Raise ValueError when the vocabulary lacks one of the five special tokens."""
    missing = [t for t in SPECIAL_TOKENS if t not in vocab]
    if missing:
        raise ValueError(f"vocabulary of {len(vocab)} tokens lacks special tokens {missing}")


def bert_pipeline(backend: tokenizers.Tokenizer, lowercase: bool) -> None:
    """Install BertTokenizerFast's normalizer, pre-tokenizer and decoder."""
    # strip_accents=None follows lowercase, exactly as BertTokenizerFast does.
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")


def finish_backend(backend: tokenizers.Tokenizer) -> None:
    """Register the specials and the [CLS]/[SEP] template once the vocabulary is known."""
    vocab = backend.get_vocab()
    check_specials(vocab)
    # normalized=False: a "[MASK]" typed by a user survives lowercasing and maps to the special id.
    backend.add_special_tokens([tokenizers.AddedToken(t, normalized=False, special=True) for t in SPECIAL_TOKENS])
    backend.post_processor = processors.TemplateProcessing(
        single=f"{CLS}:0 $A:0 {SEP}:0",
        pair=f"{CLS}:0 $A:0 {SEP}:0 $B:1 {SEP}:1",
        special_tokens=[(CLS, vocab[CLS]), (SEP, vocab[SEP])],
    )


@dataclass
class Encoding:
    """One encoded sequence (or pair), as plain Python lists of equal length."""

    input_ids: list[int]
    token_type_ids: list[int]  # 0 for segment A and its [CLS]/[SEP], 1 for segment B
    attention_mask: list[int]  # 0 only at padding
    offsets: list[tuple[int, int]]  # char span in its own segment's text; (0, 0) for specials
    word_ids: list[int | None]  # word index within its own segment; None for specials
    tokens: list[str]
    special_tokens_mask: list[int]  # 1 at [CLS]/[SEP]/[PAD]

    def __len__(self) -> int:
        return len(self.input_ids)


def to_encoding(enc: tokenizers.Encoding) -> Encoding:
    """The backend's encoding as plain lists."""
    return Encoding(
        input_ids=enc.ids,
        token_type_ids=enc.type_ids,
        attention_mask=enc.attention_mask,
        offsets=[(start, end) for start, end in enc.offsets],
        word_ids=enc.word_ids,
        tokens=enc.tokens,
        special_tokens_mask=enc.special_tokens_mask,
    )
