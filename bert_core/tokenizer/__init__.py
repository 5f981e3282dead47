"""The BERT WordPiece tokenizer: the pipeline (`pipeline`), loading, saving and encoding (`encoding`), and
learning a vocabulary (`training`)."""

from .encoding import Encoding, Tokenizer
from .pipeline import CLS, MASK, PAD, SEP, SPECIAL_TOKENS, UNK

__all__ = ["CLS", "MASK", "PAD", "SEP", "SPECIAL_TOKENS", "UNK", "Encoding", "Tokenizer"]
