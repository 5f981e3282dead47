"""Read a text corpus into documents of sentences, the unit BERT pretraining consumes.

Formats: ``.txt`` (documents split on blank lines, or one a line), ``.csv``/``.tsv``
and ``.jsonl`` (one document per row), and ``.zip`` of ``.txt`` files (read in memory,
never extracted). Built-in corpora are in ``builtin_corpora.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .sentences import split_sentences

__all__ = ["SUPPORTED_SUFFIXES", "Corpus", "CorpusError", "decode_text", "read_corpus", "split_sentences"]

SUPPORTED_SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl", ".zip")
TEXT_COLUMNS = ("text", "content", "body", "sentence", "review")  # tried in this order
MAX_ZIP_BYTES = 512 * 2**20  # total uncompressed size read from one archive
MAX_ZIP_RATIO = 100  # real text compresses ~3-10x; far more means a decompression bomb


class CorpusError(ValueError):
    """A corpus cannot be read; the message is one line, fit to show a user."""


@dataclass
class Corpus:
    """Documents, each a list of sentences."""

    name: str
    documents: list[list[str]]

    @property
    def num_documents(self) -> int:
        return len(self.documents)

    @property
    def num_sentences(self) -> int:
        return sum(len(d) for d in self.documents)

    @property
    def num_words(self) -> int:
        """Whitespace-separated words (not tokens)."""
        return sum(len(s.split()) for d in self.documents for s in d)

    def stats(self) -> dict[str, str | int | float]:
        """Counts and averages, for display: name, documents, sentences, words, per-unit means."""
        docs, sents, words = self.num_documents, self.num_sentences, self.num_words
        return {
            "name": self.name,
            "documents": docs,
            "sentences": sents,
            "words": words,
            "sentences_per_document": round(sents / max(docs, 1), 1),
            "words_per_sentence": round(words / max(sents, 1), 1),
        }

    def texts(self) -> list[str]:
        """One string per document, sentences joined by spaces."""
        return [" ".join(d) for d in self.documents]

    def preview(self, n: int = 3, max_chars: int = 500) -> list[str]:
        """The first ``n`` documents as text, each cut to ``max_chars`` characters."""
        return [t if len(t) <= max_chars else t[: max_chars - 1].rstrip() + "…" for t in self.texts()[:n]]


# ------------------------------------------------------------------ sentences
# Words whose trailing period does not end a sentence.


def _looks_like_text(text: str) -> bool:
    """True unless control or unassigned characters betray binary data decoded as text."""
    sample = text[:200_000]
    bad = sum(1 for c in sample if c not in "\t\n\r\f" and unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs"))
    return bad <= max(2, len(sample) // 1000)


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM (as some Windows tools write it): mostly-ASCII text has a NUL in every
    other byte, at odd offsets for little-endian and even offsets for big-endian."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    odd_nuls, even_nuls = head[1::2].count(0), head[0::2].count(0)
    if odd_nuls > 0.9 * pairs and even_nuls < 0.1 * pairs:
        return "utf-16-le"
    if even_nuls > 0.9 * pairs and odd_nuls < 0.1 * pairs:
        return "utf-16-be"
    return None


def decode_text(data: bytes, name: str) -> str:
    """Decode file bytes: UTF-8 (BOM optional), UTF-16 (BOM or mostly-ASCII without one), else cp1252/latin-1
    if it reads as text.

    Args:
        data: The raw bytes.
        name: File name for error messages.

    Returns:
        The text, BOM removed and line endings normalised to ``\\n``.

    Raises:
        CorpusError: If the bytes are empty, binary, or cannot be decoded.
    """
    if not data.strip():
        raise CorpusError(f"{name} is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif (guess := _bomless_utf16(data[:65536])) is not None:
        encodings = [guess]
    elif b"\x00" in data[:65536]:
        raise CorpusError(f"{name} looks like a binary file (it contains NUL bytes), not text")
    else:
        encodings = ["utf-8-sig"] if data.startswith(codecs.BOM_UTF8) else ["utf-8", "cp1252", "latin-1"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            if encoding != "utf-8":
                continue
            # A few corrupt bytes in an otherwise UTF-8 file: keep UTF-8 rather than turn
            # every accent into cp1252 mojibake ("Ã©").
            text = data.decode("utf-8", errors="replace")
            bad = text.count("\ufffd")
            if sum(ord(c) > 127 for c in text) - bad < 10 * bad:
                continue
        if not _looks_like_text(text):
            raise CorpusError(
                f"{name} looks like a binary file (decoded as {encoding} it is mostly control characters)"
            )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise CorpusError(f"{name} has no text")
        return text
    raise CorpusError(f"{name} cannot be decoded as {' or '.join(encodings)}; save it as UTF-8")


# ------------------------------------------------------------------ formats
def _split_txt(text: str, lines_are_documents: bool) -> list[str]:
    """Documents of a text file: blank-line separated, else one per line (or the whole file)."""
    chunks = [c for c in re.split(r"\n[ \t]*\n", text) if c.strip()]
    if len(chunks) == 1 and lines_are_documents:
        return [line for line in text.split("\n") if line.strip()]
    return chunks


def _read_table(text: str, name: str, delimiter: str, text_column: str | None) -> list[str]:
    csv.field_size_limit(2**30)  # news articles exceed the 128 KiB default
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        columns = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as err:
        raise CorpusError(f"{name} is not valid {'TSV' if delimiter == chr(9) else 'CSV'} ({err})") from None
    if text_column is None:
        lower = {c.strip().lower(): c for c in columns}
        text_column = next((lower[c] for c in TEXT_COLUMNS if c in lower), None)
        if text_column is None:
            raise CorpusError(f"{name} has no text column among {columns}; name one (tried {list(TEXT_COLUMNS)})")
    elif text_column not in columns:
        raise CorpusError(f"{name} has no column {text_column!r}; its columns are {columns}")
    return [row[text_column] for row in rows if row.get(text_column)]


def jsonl_objects(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON Lines text.

    Raises:
        CorpusError: a line that is not valid JSON or not a JSON object, naming the file and line.
    """
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise CorpusError(f"{name} line {lineno} is not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise CorpusError(f"{name} line {lineno} is a JSON {type(row).__name__}, not an object")
        yield lineno, row


def _read_jsonl(text: str, name: str, text_column: str | None) -> list[str]:
    field, out = text_column or "text", []
    for lineno, row in jsonl_objects(text, name):
        if field not in row:
            raise CorpusError(f"{name} line {lineno} has no {field!r} field (it has {list(row)})")
        if isinstance(row[field], str):
            out.append(row[field])
    return out


def _read_zip(data: bytes, name: str, max_bytes: int, max_ratio: float) -> list[str]:
    """Documents from the ``.txt`` members of a zip, read in memory with bomb checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise CorpusError(f"{name} is not a valid zip archive") from None
    docs, total = [], 0
    with archive:
        for info in archive.infolist():
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if info.filename.startswith(("/", "\\")) or ".." in path.parts or re.match(r"[A-Za-z]:", info.filename):
                raise CorpusError(f"{name} has an unsafe entry path {info.filename!r}")
            if (
                info.is_dir()
                or path.suffix.lower() != ".txt"
                or any(p.startswith((".", "__MACOSX")) for p in path.parts)
            ):
                continue
            if info.file_size > max_ratio * max(info.compress_size, 1):
                raise CorpusError(
                    f"{name}: {info.filename!r} expands {info.file_size / max(info.compress_size, 1):.0f}x"
                    f" (limit {max_ratio:.0f}x); refusing a possible zip bomb"
                )
            chunks = []
            try:
                with archive.open(info) as f:  # read in chunks: the declared sizes can lie
                    while chunk := f.read(1 << 20):
                        total += len(chunk)
                        if total > max_bytes:
                            raise CorpusError(f"{name} expands to more than {max_bytes:,} bytes; refusing it")
                        chunks.append(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as err:
                raise CorpusError(f"{name}: cannot read {info.filename!r} ({err})") from None
            text = decode_text(b"".join(chunks), f"{name}:{info.filename}")
            docs += _split_txt(text, lines_are_documents=False)
    if not docs:
        raise CorpusError(f"{name} holds no non-empty .txt files")
    return docs


def read_corpus(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int | None = None,
    max_ratio: float = MAX_ZIP_RATIO,
    name: str | None = None,
) -> Corpus:
    """Read a corpus file into documents of sentences.

    Args:
        path: A ``.txt``, ``.csv``, ``.tsv``, ``.jsonl`` or ``.zip`` file.
        text_column: Column (csv/tsv) or field (jsonl) holding the text; by default the
            first of text/content/body/sentence/review (csv) or ``text`` (jsonl).
        max_bytes: Largest file size, and for a zip the largest total uncompressed size
            (default 512 MiB for a zip, no limit otherwise).
        max_ratio: Largest uncompressed/compressed ratio of a zip member.
        name: Corpus name; the file's stem by default.

    Returns:
        The corpus; documents without any sentence are dropped.

    Raises:
        CorpusError: If the file is missing, empty, binary, undecodable, of an
            unsupported type, malformed, or over a limit.
    """
    path = Path(path)
    label = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise CorpusError(f"corpus file not found: {path}")
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"unsupported corpus type {suffix or path.name!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise CorpusError(f"{label} is {size:,} bytes, over the {max_bytes:,}-byte limit")
    data = path.read_bytes()
    if suffix == ".zip":
        texts = _read_zip(data, label, max_bytes or MAX_ZIP_BYTES, max_ratio)
    else:
        text = decode_text(data, label)
        if suffix == ".txt":
            texts = _split_txt(text, lines_are_documents=True)
        elif suffix == ".jsonl":
            texts = _read_jsonl(text, label, text_column)
        else:
            texts = _read_table(text, label, "\t" if suffix == ".tsv" else ",", text_column)
    return _build(name or path.stem, texts, label)


def _build(name: str, texts: list[str], label: str, clean: Callable[[str], str] | None = None) -> Corpus:
    docs = [d for d in (split_sentences(clean(t) if clean else t) for t in texts) if d]
    if not docs:
        raise CorpusError(f"{label} has no text")
    return Corpus(name, docs)
