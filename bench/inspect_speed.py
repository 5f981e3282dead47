"""Speed of the inspection pages' queries: fill-mask, attention maps, embeddings and their UMAP.

`mini` preset (4 layers × 256, 4 heads) with random weights and the stock uncased vocabulary, on this
machine's CPU, medians of repeated runs. Targets (issue 4): a fill-mask query < 100 ms, attentions
for a 64-token input < 200 ms, UMAP of 2,000 sentence embeddings < 30 s.

    python -m bench.inspect_speed            # ~1-2 min; prints a Markdown table, --json for JSON
    python bench/inspect_speed.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bert_core import BertConfig, BertForPreTraining
from bert_core.assets import minilm_dir
from bert_core.finetuning.data.sentiment import load_sentiment
from bert_core.inspect import projection
from bert_core.inspect.attention import attentions, head_statistics
from bert_core.inspect.embeddings import embeddings
from bert_core.inspect.fill_mask import fill_mask
from bert_core.tokenizer import Tokenizer

TARGETS_MS = {"fill-mask query": 100.0, "attentions, 64 tokens": 200.0, "UMAP, 2,000 sentences (warm)": 30_000.0}
LONG_TEXT = (
    "The central bank said on Tuesday that it would keep interest rates unchanged for another quarter, "
    "citing slower growth in exports, weaker consumer spending and uncertainty about the housing market, "
    "while several economists warned that inflation could rise again later in the year if oil prices "
    "continue to climb and the currency falls further against the dollar, the euro and the yen."
)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def threads_compared(fn: Callable[[], object], repeats: int, warmup: int) -> dict[int, float]:
    """Median ms of `fn` at 1 torch thread and at all of them, alternating (load hits both alike).

    On a shared CPU a parallel region waits for its slowest thread: when other processes keep the
    cores busy, tiny single-query kernels on 2 threads can take 50x longer than on 1.
    """
    counts = sorted({1, torch.get_num_threads()})
    original = torch.get_num_threads()
    times: dict[int, list[float]] = {n: [] for n in counts}
    try:
        for n in counts:
            torch.set_num_threads(n)
            for _ in range(warmup):
                fn()
        for _ in range(repeats):
            for n in counts:
                torch.set_num_threads(n)
                start = time.perf_counter()
                fn()
                times[n].append(1000 * (time.perf_counter() - start))
    finally:
        torch.set_num_threads(original)
    return {n: statistics.median(t) for n, t in times.items()}


def latency_rows(rows: dict, name: str, fn: Callable[[], object], repeats: int, what: str) -> None:
    for n, ms in threads_compared(fn, repeats, 3).items():
        rows[f"{name} ({n} thread{'s' if n > 1 else ''})"] = {"median_ms": ms, "what": what, "target": name}


def median_ms(fn: Callable[[], object], repeats: int, warmup: int) -> tuple[float, list[float]]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), times


def run(quick: bool = False) -> dict:
    torch.manual_seed(0)
    tokenizer = Tokenizer.from_pretrained(minilm_dir())
    model = BertForPreTraining(BertConfig.from_preset("mini", vocab_size=tokenizer.vocab_size)).eval()
    repeats = 7 if quick else 25
    rows: dict[str, dict] = {}
    load_before = loadavg()

    query = ["The prime minister said the [MASK] would rise sharply in early trading."]
    latency_rows(
        rows,
        "fill-mask query",
        lambda: fill_mask(model, tokenizer, query, top_k=5),
        repeats,
        "1 sentence, 1 [MASK], top-5, tokenizing included",
    )
    two = ["The [MASK] said the [MASK] would rise sharply in early trading."]
    latency_rows(
        rows, "fill-mask, 2 masks", lambda: fill_mask(model, tokenizer, two, top_k=10), repeats, "2 [MASK]s, top-10"
    )

    maps = attentions(model, tokenizer, LONG_TEXT, max_length=64)
    assert maps.weights.shape == (4, 4, 64, 64), maps.weights.shape
    latency_rows(
        rows,
        "attentions, 64 tokens",
        lambda: attentions(model, tokenizer, LONG_TEXT, max_length=64),
        repeats,
        "(L, H, T, T) = (4, 4, 64, 64) as NumPy",
    )
    rows["head statistics, 64 tokens"] = {
        "median_ms": median_ms(lambda: head_statistics(maps.weights, maps.tokens), repeats, 2)[0],
        "what": "6 statistics × (4, 4)",
    }

    data = load_sentiment("builtin:rotten_tomatoes", dev_fraction=0.0)
    texts = [e.text for e in data.train[:2000]]
    start = time.perf_counter()
    emb = embeddings(model, tokenizer, texts, layer=-1, pooling="mean", batch_size=32)
    rows["embeddings, 2,000 sentences"] = {
        "median_ms": 1000 * (time.perf_counter() - start),
        "what": "mean-pooled, last layer, batch 32 (one run)",
    }
    start = time.perf_counter()
    projection.project(emb.vectors, "umap", 2)
    rows["UMAP, 2,000 sentences (cold)"] = {
        "median_ms": 1000 * (time.perf_counter() - start),
        "what": "first call in a process: includes numba compilation",
    }
    umap_runs = 2 if quick else 3
    rows["UMAP, 2,000 sentences (warm)"] = {
        "median_ms": median_ms(lambda: projection.project(emb.vectors, "umap", 2), umap_runs, 0)[0],
        "what": f"2-D, n_neighbors 15, min_dist 0.1, median of {umap_runs}",
    }
    rows["PCA, 2,000 sentences"] = {
        "median_ms": median_ms(lambda: projection.project(emb.vectors, "pca", 2), 5, 1)[0],
        "what": "2-D",
    }
    big = emb.vectors[torch.randint(0, len(emb.vectors), (5000,)).numpy()]
    rows["nearest neighbours among 5,000"] = {
        "median_ms": median_ms(lambda: projection.nearest_neighbours(big, 0, 10), repeats, 2)[0],
        "what": "cosine, top-10",
    }
    for name, row in rows.items():
        row["median_ms"] = round(row["median_ms"], 1)
        target = TARGETS_MS.get(row.pop("target", name))
        if target is not None:
            row["target_ms"] = target
            row["ok"] = row["median_ms"] < target
    return {
        "preset": "mini (4 × 256, 4 heads), random weights, stock vocabulary (30,522)",
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "rows": rows,
    }


def markdown(result: dict) -> str:
    header = (
        f"{result['preset']}; torch threads {result['torch_threads']} of {result['cpu_count']} CPUs; "
        f"load average (1, 5, 15 min) {result['loadavg_before']} before, {result['loadavg_after']} after."
    )
    lines = [header, "", "| query | median | target | what |", "|---|---:|---:|---|"]
    for name, row in result["rows"].items():
        target = f"< {row['target_ms']:,.0f} ms {'✓' if row['ok'] else '✗'}" if "target_ms" in row else ""
        value = f"{row['median_ms'] / 1000:.1f} s" if row["median_ms"] >= 1000 else f"{row['median_ms']:.1f} ms"
        lines.append(f"| {name} | {value} | {target} | {row['what']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    result = run(args.quick)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
