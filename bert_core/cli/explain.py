"""`python -m bert_core explain`: token attributions of a fine-tuned classifier or QA model, as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..checkpoint import resolve_model_dir
from ..finetuning.data.sentiment import TEXT_COLUMNS, guess_column, read_table
from ..finetuning.registry import get_task
from ..inspect.attributions import METHODS, explain_answer, explain_classifier
from ..tokenizer.encoding import Tokenizer

QUESTION_COLUMNS, CONTEXT_COLUMNS = ("question", "query"), ("context", "passage")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="token attributions of a fine-tuned model, one JSON object per text",
        description="Score every input word piece of each text by how much it pushed the model's prediction "
        "(integrated gradients, gradient × input, or attention rollout). A sentiment model reads a `text` "
        "column; a QA model reads `question` and `context` columns and explains the start and the end of its "
        "answer. Writes one JSON object per line.",
    )
    p.add_argument("--model", required=True, help="a fine-tuned run or model directory")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a .csv/.tsv/.jsonl file with a text column (QA: question and context)")
    source.add_argument("--text", help="one text to explain (QA: the question; give --context)")
    p.add_argument("--context", help="QA: the passage for --text")
    p.add_argument("--method", default="integrated_gradients", choices=METHODS)
    p.add_argument("--steps", type=int, default=32, help="integrated gradients: steps along the path")
    p.add_argument("--out", help="output .jsonl (default: standard output)")


def _column(row_keys: list[str], names: tuple[str, ...], what: str, path: str) -> str:
    found = guess_column(row_keys, names)
    if found is None:
        raise ValueError(f"{path} has no {what} column (looked for {', '.join(names)}; found {', '.join(row_keys)})")
    return found


def run(ns: argparse.Namespace) -> int:
    source = resolve_model_dir(ns.model)
    task = get_task("qa" if _is_qa(source) else "sentiment")
    tokenizer = Tokenizer.from_pretrained(source)
    model = task.model_class.from_pretrained(source)
    items: list[tuple[str, str | None]]  # (text or question, QA context)
    if ns.data:
        rows = read_table(ns.data)
        if not rows:
            raise ValueError(f"{ns.data} has no rows")
        keys = list(rows[0])
        if task.is_qa:
            q, c = (
                _column(keys, QUESTION_COLUMNS, "question", ns.data),
                _column(keys, CONTEXT_COLUMNS, "context", ns.data),
            )
            items = [(str(r[q]), str(r[c])) for r in rows]
        else:
            t = _column(keys, TEXT_COLUMNS, "text", ns.data)
            items = [(str(r[t]), None) for r in rows]
    else:
        if task.is_qa and not ns.context:
            raise ValueError("a QA model needs --context with --text")
        items = [(ns.text, ns.context)]
    out = open(ns.out, "w", encoding="utf-8") if ns.out else sys.stdout
    try:
        for text, context in items:
            if context is None:
                records = [explain_classifier(model, tokenizer, text, method=ns.method, steps=ns.steps)]
            else:
                records = [
                    explain_answer(model, tokenizer, text, context, method=ns.method, which=w, steps=ns.steps)
                    for w in ("start", "end")
                ]
            for record in records:
                out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    finally:
        if ns.out:
            out.close()
    return 0


def _is_qa(model_dir: Path) -> bool:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return any("QuestionAnswering" in a for a in config.get("architectures") or [])
