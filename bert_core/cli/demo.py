"""`python -m bert_core demo --out runs/`: prepare, the evening before, the runs a lesson needs.

Three runs under `--out`: `demo-pretrain` (a tiny BERT pretrained with the lesson's recipe),
`demo-sentiment` and `demo-qa` (MiniLM fine-tuned for sentiment and for extractive QA). Each is an
ordinary `pretrain` / `finetune` command line, parsed and run by `bert_core.cli.pretrain` /
`bert_core.cli.finetune` (no second copy of the training code). All three are set up first (so a
missing data set fails in seconds, not after an hour), a few steps of each are timed to print a total time
estimate, then one progress bar covers them all.
A run that already has a checkpoint under `--out` is kept, so the command can be re-run after a stop.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..checkpoint import RunDirectory
from . import finetune, pretrain
from .run import PreparedRun, format_metrics

# The lesson's pretraining run: a tiny model on builtin:lee, 300 steps of 16 × 64 tokens (about a minute),
# a finished run to open in class. The Pretrain page's defaults are the 5-minute `classroom` recipe
# (bert_core/pretraining/recipes.py), which the class trains live; `--recipe classroom` here would prepare it.
PRETRAIN_RECIPE = [
    "--preset",
    "tiny",
    "--corpus",
    "builtin:lee",
    "--steps",
    "300",
    "--batch-size",
    "16",
    "--seq-len",
    "64",
    "--lr",
    "1e-3",
    "--warmup",
    "20",
    "--save-every",
    "100",
    "--seed",
    "0",
]
# Fine-tuning starts from the packaged MiniLM with each task's own defaults (bert_core.cli finetune);
# sentiment takes one epoch at 64 tokens, as on the Fine-tune page.
SENTIMENT_RECIPE = ["--task", "sentiment", "--init", "builtin:minilm", "--epochs", "1", "--max-seq-len", "64"]
QA_RECIPE = ["--task", "qa", "--init", "builtin:minilm"]

# --quick: the same three commands on tiny settings (tests, a dry run), seconds instead of minutes.
QUICK = {
    "pretrain": ["--steps", "4", "--batch-size", "4", "--seq-len", "32", "--save-every", "0", "--warmup", "1"],
    "sentiment": [
        "--data",
        "builtin:pang_lee",
        "--max-steps",
        "3",
        "--batch-size",
        "4",
        "--max-seq-len",
        "32",
        "--no-baseline",
    ],
    "qa": ["--max-steps", "3", "--batch-size", "4", "--max-seq-len", "256", "--doc-stride", "32", "--no-baseline"],
}
TIMED_STEPS = 3  # steps of each run timed before the estimate (the first is slower: it is not counted)


@dataclass(frozen=True)
class DemoStep:
    name: str  # the run's folder under --out
    command: str  # pretrain | finetune
    flags: list[str]
    kind: str  # key of QUICK


PRETRAIN_RUN, SENTIMENT_RUN, QA_RUN = "demo-pretrain", "demo-sentiment", "demo-qa"  # the Explorer's Home offers them


def demo_steps(quick: bool = False) -> list[DemoStep]:
    """The three runs of a lesson, as CLI commands (without `--out`)."""
    steps = [
        DemoStep(PRETRAIN_RUN, "pretrain", PRETRAIN_RECIPE, "pretrain"),
        DemoStep(SENTIMENT_RUN, "finetune", SENTIMENT_RECIPE, "sentiment"),
        DemoStep(QA_RUN, "finetune", QA_RECIPE, "qa"),
    ]
    return [DemoStep(s.name, s.command, s.flags + (QUICK[s.kind] if quick else []), s.kind) for s in steps]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `demo` command's flags."""
    p = sub.add_parser(
        "demo",
        help="prepare a lesson's runs: a pretrained tiny BERT, a sentiment and a QA model",
        description="Prepare the runs a lesson needs (demo-pretrain, demo-sentiment, demo-qa) "
        "under --out, with one progress bar and a total time estimate. Runs that "
        "already exist there are kept.",
    )
    p.add_argument("--out", default="runs", help="the runs folder (the Explorer's $BERT_EXPLORER_RUNS; default runs)")
    p.add_argument("--quick", action="store_true", help="tiny settings: a dry run in seconds")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")


def _parse(step: DemoStep, out: Path, device: str) -> argparse.Namespace:
    argv = [step.command, *step.flags, "--device", device, "--out", str(out / step.name), "--quiet"]
    parser = argparse.ArgumentParser(prog="python -m bert_core")
    sub = parser.add_subparsers(dest="command", required=True)
    pretrain.add_parser(sub)  # the demo runs only these two commands: their parsers alone read its lines
    finetune.add_parser(sub)
    return parser.parse_args(argv)


def estimate_seconds(remaining_steps: int, step_s: float, evaluations: int, eval_s: float) -> float:
    """Seconds left for a run: its steps at the measured step time, plus its evaluations."""
    return remaining_steps * step_s + evaluations * eval_s


def evaluations_left(max_steps: int, eval_every: int, done: int) -> int:
    """Evaluations still to come: one every `eval_every` steps before the end, and one at the end."""
    periodic = (max_steps - 1) // eval_every - done // eval_every if eval_every else 0
    return max(periodic, 0) + 1


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def run(ns: argparse.Namespace) -> int:
    """Set up, time, and train the lesson's runs; returns the exit code."""
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    todo: list[tuple[DemoStep, PreparedRun]] = []
    for step in demo_steps(ns.quick):
        if RunDirectory(out / step.name).checkpoints():
            print(f"{step.name}: already in {out}, kept (delete the folder to train it again)", file=sys.stderr)
            continue
        print(f"{step.name}: setting up (python -m bert_core {step.command} {' '.join(step.flags)})", file=sys.stderr)
        todo.append(
            (
                step,
                pretrain.prepare_pretrain_run(_parse(step, out, ns.device))
                if step.command == "pretrain"
                else finetune.prepare_finetune_run(_parse(step, out, ns.device)),
            )
        )
    if not todo:
        print(f"nothing to do: the demo runs are in {out}")
        return 0
    # Time the first steps of each run; they are real training steps, kept.
    streams: dict[str, Iterator[dict[str, float]]] = {}
    train_s: dict[str, float] = {}
    estimates: dict[str, float] = {}
    for step, run in todo:
        streams[step.name], times = iter(run.trainer), []
        tick = time.perf_counter()
        for _ in range(min(TIMED_STEPS, run.trainer.args.max_steps)):
            times.append(next(streams[step.name])["step_time"])
        train_s[step.name] = time.perf_counter() - tick
        args = run.trainer.args
        step_s = statistics.median(times[1:] or times)
        estimates[step.name] = estimate_seconds(
            args.max_steps - run.trainer.global_step,
            step_s,
            evaluations_left(args.max_steps, args.eval_every, run.trainer.global_step),
            run.eval_s,
        )
    setup = time.perf_counter() - started
    print(
        "estimated time left: about "
        + _minutes(sum(estimates.values()))
        + " ("
        + ", ".join(f"{name} {_minutes(s)}" for name, s in estimates.items())
        + f"; set-up and timing took {_minutes(setup)})",
        file=sys.stderr,
    )
    total = sum(run.trainer.args.max_steps for _, run in todo)
    bar = tqdm(
        total=total,
        initial=sum(run.trainer.global_step for _, run in todo),
        desc="demo runs",
        unit="step",
        dynamic_ncols=True,
    )
    names = [step.name for step, _ in todo]
    while todo:
        step, run = todo.pop(0)  # a finished run's model, optimizer and data are freed before the next one
        bar.set_description(step.name)
        bar.set_postfix_str("")
        tick = time.perf_counter()
        for metrics in streams.pop(step.name):
            bar.update(1)
            bar.set_postfix(run.postfix(metrics))
        train_s[step.name] += time.perf_counter() - tick
        run.finish(train_s[step.name])  # run.json's final record; the summary below is shorter
        tqdm.write(
            f"{step.name}: {run.trainer.status} at step {run.trainer.global_step} in "
            f"{_minutes(train_s[step.name])}; held-out: {format_metrics(run.trainer.last_eval)}",
            file=sys.stderr,
        )
        del run
    bar.close()
    print(f"demo runs ready in {out} after {_minutes(time.perf_counter() - started)}: " + ", ".join(names))
    return 0
