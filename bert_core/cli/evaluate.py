"""`python -m bert_core evaluate`: score a fine-tuned model and print the metrics as JSON."""

from __future__ import annotations

import argparse
import json

from ..finetuning.evaluate import evaluate_model
from ..finetuning.registry import TASKS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a fine-tuned model; prints the metrics as JSON",
        description="Score a fine-tuned run or model directory on a data set (a built-in set's dev "
        "split, or a whole file) and print the metrics as JSON on stdout.",
    )
    p.add_argument("--task", required=True, choices=list(TASKS))
    p.add_argument("--model", required=True, help="run or model directory")
    p.add_argument("--data", required=True, help="builtin:... or a data file (as for finetune)")
    p.add_argument("--split", default="dev", choices=["dev", "train"], help="split of a built-in set")
    p.add_argument("--max-seq-len", type=int, help="default: the run's setting")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--text-column")
    p.add_argument("--label-column")


def run(ns: argparse.Namespace) -> int:
    metrics = evaluate_model(
        ns.task,
        ns.model,
        ns.data,
        split=ns.split,
        max_seq_length=ns.max_seq_len,
        batch_size=ns.batch_size,
        text_column=ns.text_column,
        label_column=ns.label_column,
    )
    print(json.dumps(metrics, indent=2))
    return 0
