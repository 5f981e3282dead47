"""Extractive QA data in SQuAD format (v1.1 and v2.0): parse, validate, split, and the built-in sets.

Sources (see :func:`bert_core.finetuning.data.qa.load_qa`, which reads any of them by name):
- ``builtin:qa``: the package's own set (``bert_core/resources/qa_builtin.json``: original passages and
  questions written for this project, split into train and dev by passage).
- ``builtin:cloze`` / ``builtin:cloze-news``: cloze-style questions generated from the lee / news corpora.
- ``hub:squad`` / ``hub:squad_v2``: the Hub datasets, through `datasets` (needs a network connection).
- a SQuAD JSON file (path, or an upload's bytes).

An ``answer_start`` that does not point at its answer text is **repaired** by default: the answer text
is searched in the context and the occurrence nearest the given offset is used (off-by-a-few offsets are
common in hand-made files); the repaired question ids are listed in ``QAData.repaired``. With
``strict=True`` any mismatch is an error naming the question. An answer that does not occur in its
context at all is always an error naming the question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ...data.corpus import CorpusError, decode_text

__all__ = [
    "Answer",
    "QAExample",
    "QAData",
    "parse_squad",
    "load_squad",
    "load_squad_from_hub",
    "load_qa_builtin",
    "split_by_context",
    "QA_BUILTINS",
]

QA_BUILTINS = ("qa", "cloze", "cloze-news")


@dataclass
class Answer:
    text: str
    start: int  # character offset in the context

    @property
    def end(self) -> int:
        """Exclusive character end."""
        return self.start + len(self.text)


@dataclass
class QAExample:
    id: str
    question: str
    context: str
    answers: list[Answer]  # empty for an unanswerable (v2) question; training uses the first
    title: str = ""

    @property
    def is_impossible(self) -> bool:
        return not self.answers

    @property
    def answer_texts(self) -> list[str]:
        return [a.text for a in self.answers]


@dataclass
class QAData:
    name: str
    train: list[QAExample]
    dev: list[QAExample]
    version_2: bool = False  # some questions have no answer: decoding may answer "" (no answer)
    repaired: list[str] = field(default_factory=list)  # ids whose answer_start was moved onto the text
    notes: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        contexts = {e.context for e in self.train + self.dev}
        return {
            "name": self.name,
            "train": len(self.train),
            "dev": len(self.dev),
            "contexts": len(contexts),
            "unanswerable": sum(e.is_impossible for e in self.train + self.dev),
            "repaired": len(self.repaired),
        }


# ------------------------------------------------------------------ parsing
def _expect(value: Any, kind: type, where: str, name: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CorpusError(f"{name}: {where} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _locate(context: str, text: str, start: int, qid: str, name: str, strict: bool) -> tuple[int, bool]:
    """(start, repaired): `start` itself when it points at `text`, else the nearest occurrence."""
    if context[start : start + len(text)] == text:
        return start, False
    found, i = [], context.find(text)
    while text and i >= 0:
        found.append(i)
        i = context.find(text, i + 1)
    if not found:
        raise CorpusError(f"{name}: question {qid!r}: answer {text!r} does not occur in its context")
    if strict:
        raise CorpusError(
            f"{name}: question {qid!r}: answer_start {start} points at "
            f"{context[start : start + len(text)]!r}, not at the answer {text!r}"
        )
    return min(found, key=lambda i: abs(i - start)), True


def parse_squad(obj: Any, *, name: str = "squad", strict: bool = False) -> tuple[list[QAExample], list[str], bool]:
    """Examples from a SQuAD-format object (``{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}``).

    Returns:
        (examples, ids whose answer_start was repaired, whether any question is unanswerable).

    Raises:
        CorpusError: a wrong shape, a duplicate id, an answer not in its context (or, with `strict`, an
            answer_start that does not point at its text), an answerable question without answers.
    """
    articles = _expect(obj, dict, "the top level", name).get("data")
    _expect(articles, list, '"data"', name)
    examples, repaired, seen, impossible = [], [], set(), False
    for a, article in enumerate(articles):
        _expect(article, dict, f"data[{a}]", name)
        title = str(article.get("title", ""))
        for p, paragraph in enumerate(_expect(article.get("paragraphs"), list, f"data[{a}].paragraphs", name)):
            where = f"data[{a}].paragraphs[{p}]"
            _expect(paragraph, dict, where, name)
            context = _expect(paragraph.get("context"), str, f"{where}.context", name)
            for q, qa in enumerate(_expect(paragraph.get("qas"), list, f"{where}.qas", name)):
                _expect(qa, dict, f"{where}.qas[{q}]", name)
                qid = str(qa.get("id", f"{a}-{p}-{q}"))
                if qid in seen:
                    raise CorpusError(f"{name}: question id {qid!r} occurs twice")
                seen.add(qid)
                question = _expect(qa.get("question"), str, f"question {qid!r}'s question", name).strip()
                answers = []
                for raw in _expect(qa.get("answers", []), list, f"question {qid!r}'s answers", name):
                    _expect(raw, dict, f"an answer of question {qid!r}", name)
                    text = _expect(raw.get("text"), str, f"question {qid!r}'s answer text", name)
                    start = _expect(raw.get("answer_start"), int, f"question {qid!r}'s answer_start", name)
                    start, moved = _locate(context, text, start, qid, name, strict)
                    if moved and qid not in repaired:
                        repaired.append(qid)
                    answers.append(Answer(text, start))
                if qa.get("is_impossible"):
                    answers, impossible = [], True
                elif not answers:
                    raise CorpusError(
                        f'{name}: question {qid!r} has no answers (mark it "is_impossible": true for SQuAD v2)'
                    )
                examples.append(QAExample(qid, question, context, answers, title))
    if not examples:
        raise CorpusError(f"{name} holds no questions")
    return examples, repaired, impossible


def load_squad(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    strict: bool = False,
    dev_fraction: float = 0.0,
    seed: int = 0,
) -> QAData:
    """A SQuAD JSON file (path, or an upload's bytes); `dev_fraction` > 0 holds out whole contexts.

    Raises:
        CorpusError: missing file, not JSON, or see :func:`parse_squad`.
    """
    if isinstance(source, bytes):
        data, label = source, name or "upload.json"
    else:
        path = Path(source)
        if not path.is_file():
            raise CorpusError(f"data file not found: {path}")
        data, label = path.read_bytes(), name or path.name
    try:
        obj = json.loads(decode_text(data, label))
    except json.JSONDecodeError as err:
        raise CorpusError(f"{label} is not valid JSON ({err.msg} at line {err.lineno})") from None
    examples, repaired, v2 = parse_squad(obj, name=label, strict=strict)
    train, dev = split_by_context(examples, dev_fraction, seed) if dev_fraction else (examples, [])
    notes = [f"repaired answer_start of {len(repaired)} questions"] if repaired else []
    return QAData(Path(label).stem, train, dev, v2, repaired, notes)


def split_by_context(
    examples: list[QAExample], dev_fraction: float, seed: int, *, by: str = "context"
) -> tuple[list, list]:
    """A seeded (train, dev) split that keeps all questions on one passage (`by="title"`: one article) together."""
    group = (lambda e: e.title) if by == "title" else (lambda e: e.context)
    groups = list(dict.fromkeys(group(e) for e in examples))
    n_dev = max(1, round(len(groups) * dev_fraction))
    if len(groups) - n_dev < 1:
        raise CorpusError(f"only {len(groups)} passages: too few to hold out {n_dev} for evaluation")
    perm = torch.randperm(len(groups), generator=torch.Generator().manual_seed(seed)).tolist()
    held = {groups[i] for i in perm[:n_dev]}
    return [e for e in examples if group(e) not in held], [e for e in examples if group(e) in held]


def load_qa_builtin(split: str = "train") -> list[QAExample]:
    """The built-in set's `train` or `dev` passages (split by article) or `all`."""
    if split not in ("train", "dev", "all"):
        raise ValueError(f"split must be 'train', 'dev' or 'all', got {split!r}")
    obj = json.loads(resources.files("bert_core").joinpath("resources/qa_builtin.json").read_text("utf-8"))
    if split != "all":
        obj = {**obj, "data": [a for a in obj["data"] if a.get("split") == split]}
    return parse_squad(obj, name="qa_builtin.json", strict=True)[0]


def load_squad_from_hub(name: str = "squad", split: str = "train") -> list[QAExample]:
    """A SQuAD-format dataset from the Hugging Face Hub (e.g. `squad`, `squad_v2`), via `datasets`.

    Raises:
        ValueError: `datasets` is missing, the machine is offline, or the dataset has no such split.
    """
    try:
        import datasets
    except ImportError as err:
        raise ValueError(f"loading {name!r} from the Hub needs the `datasets` package ({err})") from None
    try:
        rows = datasets.load_dataset(name, split=split)
    except Exception as err:  # noqa: BLE001 - offline, unknown name, bad split: all one message for a user
        raise ValueError(
            f"cannot load {name!r} (split {split!r}) from the Hugging Face Hub; are you offline? "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    examples = []
    for row in rows:
        answers = [Answer(t, int(s)) for t, s in zip(row["answers"]["text"], row["answers"]["answer_start"])]
        examples.append(
            QAExample(str(row["id"]), row["question"].strip(), row["context"], answers, row.get("title", ""))
        )
    return examples
