"""A prepared `pretrain` or `finetune` run, driven to the end under a progress bar."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tqdm.auto import tqdm

from ..training import Trainer

__all__ = ["PreparedRun", "format_metrics", "stop_after"]


@dataclass
class PreparedRun:
    """A `pretrain` or `finetune` run set up from parsed flags, its baseline evaluated, ready to step.

    `train` drives it to the end; `demo` drives several of these under one progress bar.
    """

    trainer: Trainer
    desc: str  # the progress bar's label
    postfix: Callable[[dict[str, float]], dict[str, str]]  # a step's metrics → the bar's postfix
    finish: Callable[[float], str]  # seconds spent training → run.json's final record, and the summary to print
    quiet: bool
    setup_s: float = 0.0  # seconds spent preparing data, model and the baseline evaluation
    eval_s: float = 0.0  # seconds the baseline evaluation took (0 when skipped)

    def train(self) -> None:
        """Train to the end (or --max-minutes), with a progress bar unless quiet, and print the summary."""
        started = time.perf_counter()
        bar = tqdm(
            total=self.trainer.args.max_steps,
            initial=self.trainer.global_step,
            disable=self.quiet or not self.trainer.dist.is_main,
            desc=self.desc,
            unit="step",
            dynamic_ncols=True,
        )
        for metrics in self.trainer:
            if bar.total != self.trainer.args.max_steps:  # a time budget fitted the number of steps
                bar.total = self.trainer.args.max_steps
            bar.update(1)
            bar.set_postfix(self.postfix(metrics))
        bar.close()
        summary = self.finish(time.perf_counter() - started)
        if summary:
            print(summary)


def stop_after(trainer: Trainer, minutes: float | None) -> None:
    """Ask the trainer to stop (and save) after `minutes` of wall time (never when None or 0)."""
    if minutes:
        timer = threading.Timer(minutes * 60, trainer.stop_event.set)
        timer.daemon = True
        timer.start()


def format_metrics(metrics: dict) -> str:
    """`name=value, …` of a metrics record's floats (the step left out), for one line of output."""
    return ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "step" and isinstance(v, float))
