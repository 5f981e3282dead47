"""Rule-based English sentence splitting (no model, no download): abbreviations, initials,
decimals and quotes are handled well enough for news and encyclopedic text."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "messrs",
        "mme",
        "mlle",
        "rev",
        "fr",
        "gen",
        "gov",
        "sen",
        "rep",
        "lt",
        "col",
        "capt",
        "cmdr",
        "sgt",
        "maj",
        "adm",
        "pres",
        "supt",
        "insp",
        "det",
        "cpl",
        "pvt",
        "hon",
        "vs",
        "v",
        "cf",
        "al",
        "approx",
        "dept",
        "est",
        "fig",
        "figs",
        "vol",
        "vols",
        "ch",
        "sec",
        "ed",
        "eds",
        "op",
        "pp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "assn",
        "univ",
        "ave",
        "blvd",
        "rd",
        "ph.d",  # "e.g.", "U.S." are acronyms: see _ends_sentence
    }
)
# Starters that make a period after an acronym ("in the U.S. The …") a sentence end.
_STARTERS = frozenset(
    {
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "its",
        "their",
        "our",
        "my",
        "there",
        "here",
        "but",
        "and",
        "however",
        "in",
        "on",
        "at",
        "as",
        "if",
        "when",
        "while",
        "after",
        "before",
        "since",
        "so",
        "yet",
    }
)
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’»)\]]*)\s+(?=[\"'“‘«(\[]*(\w))")  # group 3: next word's first char
_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")


def _ends_sentence(text: str, m: re.Match) -> bool:
    """Decide whether a candidate boundary ``m`` (punctuation, space, word) ends a sentence."""
    if m.group(3).islower():
        return False  # '"Stop!" he said', 'e.g. this'; caseless scripts and digits pass
    if m.group(1) != "." or m.group(2):
        return True  # "!", "?", "..." or a closing quote/bracket after the period
    start = text.rfind(" ", 0, m.start()) + 1
    word = text[start : m.start()].lstrip("\"'“‘([«")
    key = word.lower()
    nxt = text[m.end() : m.end() + 40].lstrip("\"'“‘([«").split(" ", 1)[0].lower()
    if key == "no":
        return not nxt[:1].isdigit()  # "No. 5" but "He said no. Then"
    if key in _ABBREVIATIONS:
        return False  # titles and short forms: "Dr. Smith", "Jan. 5"
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. K. Rowling"
    if _ACRONYM.fullmatch(word + "."):
        return nxt in _STARTERS  # "U.S. officials" vs "in the U.S. The next"
    return True


def split_sentences(text: str) -> list[str]:
    """Split text into sentences with rules for abbreviations, initials, decimals and quotes.

    A line break always ends a sentence. A period ends one when followed by a space and a
    capital or digit, unless it closes a title (``Mr.``), an initial (``J.``), a short form
    (``e.g.``, ``Jan.``) or an acronym (``U.S.``) not followed by a typical sentence start.

    Args:
        text: Any text.

    Returns:
        Non-empty sentences, whitespace collapsed.
    """
    out: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _ends_sentence(line, m):
                out.append(line[start : m.end()].strip())
                start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return [s for s in out if s]


# ------------------------------------------------------------------ decoding
