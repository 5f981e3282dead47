"""Data: corpora (documents of sentences), built-in corpora, pretraining examples."""

from .builtin_corpora import BUILTIN_CORPORA, BuiltinCorpus, clean_news, load_builtin, resolve_corpus, strip_wiki_markup
from .corpus import SUPPORTED_SUFFIXES, Corpus, CorpusError, decode_text, read_corpus
from .sentences import split_sentences

__all__ = [
    "BUILTIN_CORPORA",
    "SUPPORTED_SUFFIXES",
    "BuiltinCorpus",
    "Corpus",
    "CorpusError",
    "clean_news",
    "decode_text",
    "load_builtin",
    "read_corpus",
    "resolve_corpus",
    "split_sentences",
    "strip_wiki_markup",
]
