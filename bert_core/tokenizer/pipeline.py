"""The BERT WordPiece pipeline on a `tokenizers` backend: special tokens, normalizer, pre-tokenizer, template."""

from __future__ import annotations

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
