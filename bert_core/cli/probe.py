"""`python -m bert_core probe`: what does each layer know? Per-layer probing accuracy, with baselines."""

from __future__ import annotations

import argparse
import json

from tqdm.auto import tqdm

from ..finetuning.start import resolve_init
from ..inspect.probes import PROBE_TASKS, run_probe
from ..model import BertModel
from ..tokenizer.encoding import Tokenizer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe",
        help="per-layer probing accuracy of a model on a labelled task",
        description="Train a logistic-regression probe on the frozen vectors of every layer and score it on "
        "held-out examples; also the majority-class baseline and the same probe on a random-weights encoder "
        "of the same shape (the control). Tasks: " + "; ".join(f"{k} ({v})" for k, v in PROBE_TASKS.items()),
    )
    p.add_argument("--model", required=True, help="builtin:minilm, a run or a model directory")
    p.add_argument("--task", required=True, choices=list(PROBE_TASKS))
    p.add_argument("--n", type=int, default=2000, help="examples (sentences) to draw")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(ns: argparse.Namespace) -> int:
    source = resolve_init(ns.model)
    if source is None:
        raise ValueError("--model random has nothing to probe: the random-weights control is part of every probe")
    tokenizer = Tokenizer.from_pretrained(source)
    model = BertModel.from_pretrained(source)
    bar = tqdm(total=1, desc=f"probing ({ns.task})", disable=ns.quiet, unit="text")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    result = run_probe(model, tokenizer, ns.task, n=ns.n, seed=ns.seed, progress=progress)
    bar.close()
    if ns.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    print(
        f"{ns.task}: {result.n_train} training and {result.n_test} held-out examples; "
        f"majority class {100 * result.majority:.1f}%"
    )
    print("layer  model  control")
    for layer, acc, ctrl in zip(result.layers, result.accuracy, result.control):
        print(f"{'emb' if layer == 0 else layer:>5}  {100 * acc:5.1f}  {100 * ctrl:7.1f}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
