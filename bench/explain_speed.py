"""Speed of "why did it say that": attributions, the layer-by-layer lens, per-layer probes.

On the packaged MiniLM (6 × 384) for attributions and probes, and on a `mini` BertForMaskedLM (random
weights, the stock uncased vocabulary) for the lens, on this machine's CPU, medians of repeated runs.
Targets: integrated gradients with 32 steps on a 64-token sentence < 2 s; the lens < 100 ms; a probe
over every layer of 2,000 sentences (model and random-weights control, features and fits) < 30 s.

    python -m bench.explain_speed            # ~2 min; --json for JSON, --quick for fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import torch

from bert_core import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel
from bert_core.assets import minilm_dir
from bert_core.inspect.attributions import explain_classifier
from bert_core.inspect.lens import layer_predictions
from bert_core.inspect.probes import run_probe
from bert_core.tokenizer import Tokenizer

TARGETS_S = {"integrated gradients, 32 steps, 64 tokens": 2.0, "lens, one blank": 0.1, "probe, 2,000 sentences": 30.0}
SENTENCE = (
    "The central bank said on Tuesday that it would keep interest rates unchanged for another quarter, "
    "citing slower growth in exports, weaker consumer spending and uncertainty about the housing market."
)


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: first-call allocations and kernel choices
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    torch.manual_seed(0)
    tokenizer = Tokenizer.from_pretrained(minilm_dir())
    classifier = BertForSequenceClassification.from_pretrained(minilm_dir(), num_labels=2).eval()
    text = tokenizer.decode(tokenizer.encode(SENTENCE * 2, max_length=64).input_ids)  # 64 pieces with [CLS]/[SEP]
    mlm = BertForMaskedLM(BertConfig.from_preset("mini", vocab_size=tokenizer.vocab_size)).eval()
    rows = {
        "integrated gradients, 32 steps, 64 tokens": median_seconds(
            lambda: explain_classifier(classifier, tokenizer, text, method="integrated_gradients", steps=32), repeats
        ),
        "gradient × input, 64 tokens": median_seconds(
            lambda: explain_classifier(classifier, tokenizer, text, method="grad_x_input"), repeats
        ),
        "rollout, 64 tokens": median_seconds(
            lambda: explain_classifier(classifier, tokenizer, text, method="rollout"), repeats
        ),
        "lens, one blank": median_seconds(
            lambda: layer_predictions(mlm, tokenizer, "the central bank kept [MASK] rates unchanged ."), repeats
        ),
    }
    encoder = BertModel.from_pretrained(minilm_dir())
    start = time.perf_counter()
    run_probe(encoder, tokenizer, "sentiment", n=2000)
    rows["probe, 2,000 sentences"] = time.perf_counter() - start
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"seconds": rows, "targets_s": TARGETS_S, "load": load, "threads": torch.get_num_threads()}))
        return
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {torch.get_num_threads()} threads\n")
    print("| query | median | target |\n|---|---|---|")
    for name, seconds in rows.items():
        target = TARGETS_S.get(name)
        print(f"| {name} | {seconds * 1000:.0f} ms | {'' if target is None else f'< {target * 1000:.0f} ms'} |")


if __name__ == "__main__":
    main()
