"""What a pretraining recipe learns in N minutes: real words guessed in held-out news.

    python -m bench.classroom_recipe --minutes 5 --variant "" --variant "--preset mini" …

Each variant is `python -m bert_core pretrain --recipe classroom --max-minutes N <variant>` (so the recipe's
values, overridden by the variant's flags), run in its own process one after the other; the model it leaves
is then scored on content words masked in held-out news (`bert_core.pretraining.word_guess`): by default
the Lee background stories (`builtin:lee`, the set the recipe was tuned on), with `--test` the Lee test
stories (`builtin:lee_test`, read only to report the chosen recipe). Prints one line per variant and
appends it to `bench/results/classroom_recipe.jsonl`, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bert_core.assets import minilm_dir
from bert_core.checkpoint import resolve_model_dir
from bert_core.data import resolve_corpus
from bert_core.inspect.fill_mask import fill_mask
from bert_core.model import BertForPreTraining
from bert_core.pretraining.word_guess import content_word_items, score_word_guesses
from bert_core.tokenizer.encoding import Tokenizer

PROBES = (
    "The [MASK] rose sharply in early trading.",
    "The prime minister said the [MASK] would be held next year.",
    "Police said the man was [MASK] on Tuesday.",
)
RESULTS = Path(__file__).parent / "results" / "classroom_recipe.jsonl"


def score(run_dir: Path, corpus: str, items_n: int) -> dict:
    """Word-guess scores, held-out MLM/NSP and the probe sentences' first guesses of a finished run."""
    info = json.loads((run_dir / "run.json").read_text())
    model = BertForPreTraining.from_pretrained(resolve_model_dir(run_dir))
    tokenizer = Tokenizer.from_pretrained(resolve_model_dir(run_dir))
    items = content_word_items(resolve_corpus(corpus).texts(), Tokenizer.from_pretrained(minilm_dir()), n=items_n)
    result = score_word_guesses(model, tokenizer, items)
    probes = [" ".join(m.tokens[:3]) for r in fill_mask(model, tokenizer, list(PROBES), top_k=3) for m in r.masks]
    final = info.get("final_eval", {})
    return {
        "items": result.items,
        "top1": round(result.top1, 3),
        "top5": round(result.topk, 3),
        "spellable": round(result.spellable, 3),
        "mlm_acc": round(final.get("mlm_acc", float("nan")), 3),
        "nsp_acc": round(final.get("nsp_acc", float("nan")), 3),
        "steps": info.get("steps"),
        "probes": probes,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--variant", action="append", default=[], help="extra pretrain flags (repeatable)")
    p.add_argument("--recipe", default="classroom")
    p.add_argument("--test", action="store_true", help="score on builtin:lee_test (report only, never tune)")
    p.add_argument("--items", type=int, default=200)
    p.add_argument("--keep", help="keep the runs in this folder")
    ns = p.parse_args()
    corpus = "builtin:lee_test" if ns.test else "builtin:lee"
    root = Path(ns.keep or tempfile.mkdtemp(prefix="classroom-"))
    for n, variant in enumerate(ns.variant or [""]):
        out = root / f"v{n}-{int(time.time())}"
        cmd = [sys.executable, "-m", "bert_core", "pretrain", "--recipe", ns.recipe, "--max-minutes", str(ns.minutes)]
        cmd += [*shlex.split(variant), "--out", str(out), "--quiet"]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(f"{variant!r}: failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        row = {
            "recipe": ns.recipe,
            "variant": variant,
            "minutes": ns.minutes,
            "wall_s": round(wall, 1),
            "scored_on": corpus,
            **score(out, corpus, ns.items),
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
        print(json.dumps(row), flush=True)
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
