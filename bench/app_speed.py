"""Does the live app slow training down? The classroom recipe through the CLI and through the app's job.

    python -m bench.app_speed [--steps 400] [--repeats 2]

Each run is a fresh process (so it pays what a first Start after launching the server pays: reading the
corpus; the trained vocabulary and the tokenised corpus come from the on-disk cache, warmed first):

- cli: `python -m bert_core pretrain --recipe classroom` set up and stepped as the command does;
- app: the Pretrain page's `TrainingJob` (probes every 10 steps, the batch inspector, model snapshots,
  time-lapse frames), with a second thread doing every LIVE_REDRAW_S what the page's live fragment does while
  it trains in its default view: read the job's view and build the four learning-curve figures as JSON.

Runs alternate (cli, app, cli, app…) so a change in the machine's load hits both. Prints tokens/s (median
over the steps after the 20th), the app/CLI ratio, and the seconds from Start to the first point on the
chart (the first step's metrics visible to the page), with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FLAGS = ["--recipe", "classroom", "--max-minutes", "0", "--save-every", "0"]


def _tokens_per_s(records: list[dict]) -> float:
    steps = [r for r in records if "tokens_per_s" in r and r.get("step", 0) > 20]
    return statistics.median(r["tokens_per_s"] for r in steps)


def _wall_tokens_per_s(records: list[dict]) -> float:
    """Tokens per second of wall time between step 20 and the last step (observers' time included)."""
    rows = [r for r in records if "elapsed" in r and "tokens_per_s" in r]
    first = next(r for r in rows if r["step"] >= 20)
    last = rows[-1]
    tokens = sum(r["tokens_per_s"] * r["step_time"] for r in rows if r["step"] > first["step"])
    return tokens / (last["elapsed"] - first["elapsed"])


def run_cli(steps: int, out: Path) -> dict:
    from bert_core.cli import build_parser
    from bert_core.cli.pretrain import prepare_pretrain_run

    started = time.perf_counter()
    ns = build_parser().parse_args(["pretrain", *FLAGS, "--steps", str(steps), "--out", str(out), "--quiet"])
    prepared = prepare_pretrain_run(ns)
    first = None
    records = []
    for metrics in prepared.trainer:
        first = first or time.perf_counter() - started
        records.append(metrics)
    return {
        "first_point_s": first,
        "tokens_per_s": _tokens_per_s(records),
        "wall_tokens_per_s": _wall_tokens_per_s(records),
    }


def _draw_like_the_page(job, stop: threading.Event) -> int:
    """What the Pretrain page's live fragment computes every `LIVE_REDRAW_S` while a run trains, in its default view
    (the learning curves: four figures, serialised as the page sends them); returns the redraws."""
    from explorer.ui.widgets import LIVE_REDRAW_S, training_figures

    redraws = 0
    while not stop.wait(LIVE_REDRAW_S):
        view = job.view()
        if not view.metrics:
            continue
        for _, fig in training_figures(view):
            fig.to_json()
        redraws += 1
    return redraws


def run_app(steps: int, out: Path, page: bool = True) -> dict:
    from bert_core.pretraining import recipes
    from explorer.jobs.pretrain import JobConfig, TrainingJob

    values = recipes.settings("classroom", steps=steps, max_minutes=None, save_every=0)
    spec, args = recipes.build(values)
    started = time.perf_counter()
    job = TrainingJob("bench", JobConfig("app-run", spec, args), out)
    job.start()
    first = None
    stop = threading.Event()
    redraws: list[int] = []
    painter = threading.Thread(target=lambda: redraws.append(_draw_like_the_page(job, stop)), daemon=True)
    if page:
        painter.start()
    while job.view().active:
        if first is None and job.view().metrics:
            first = time.perf_counter() - started
        time.sleep(0.05)
    stop.set()
    if page:
        painter.join()
    job.join(60)
    view = job.view()
    if view.status != "finished":
        raise RuntimeError(f"the app's run ended {view.status}: {view.message}")
    records = list(view.metrics)
    return {
        "first_point_s": first,
        "tokens_per_s": _tokens_per_s(records),
        "wall_tokens_per_s": _wall_tokens_per_s(records),
        "redraws": redraws[0] if redraws else 0,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--one", choices=["cli", "app"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    ns = p.parse_args()
    if ns.one:
        result = (run_cli if ns.one == "cli" else run_app)(ns.steps, Path(ns.out))
        print(json.dumps(result), flush=True)
        os._exit(0)  # no interpreter teardown: torch's worker threads may abort it after the result is out
    root = Path(tempfile.mkdtemp(prefix="app-speed-"))
    # Warm the vocabulary and tokenised-corpus caches once, as a server that has trained this recipe before.
    warm = ["--one", "cli", "--steps", "25", "--out", str(root / "warm")]
    subprocess.run([sys.executable, "-m", "bench.app_speed", *warm], check=True, capture_output=True)
    results: dict[str, list[dict]] = {"cli": [], "app": []}
    loads = [os.getloadavg()[0]]
    for n in range(ns.repeats):
        for mode in ("cli", "app"):
            out = root / f"{mode}-{n}"
            done = subprocess.run(
                [sys.executable, "-m", "bench.app_speed", "--one", mode, "--steps", str(ns.steps), "--out", str(out)],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                sys.exit(f"{mode} failed:\n{done.stderr[-2000:]}")
            results[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
            loads.append(os.getloadavg()[0])
    summary = {mode: {k: round(statistics.median(r[k] for r in rs), 2) for k in rs[0]} for mode, rs in results.items()}
    summary["app_over_cli"] = {
        k: round(summary["app"][k] / summary["cli"][k], 3) for k in ("tokens_per_s", "wall_tokens_per_s")
    }
    summary["load"] = [round(x, 1) for x in loads]
    summary["steps"] = ns.steps
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
