"""The BERT WordPiece tokenizer: the pipeline and its output record (`pipeline`), loading, saving and
encoding (`encoding`), and learning a vocabulary (`training`)."""

from .encoding import Tokenizer
from .pipeline import CLS, MASK, PAD, SEP, SPECIAL_TOKENS, UNK, Encoding

__all__ = ["CLS", "MASK", "PAD", "SEP", "SPECIAL_TOKENS", "UNK", "Encoding", "Tokenizer"]
