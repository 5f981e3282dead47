"""Fit a run's length to a wall-time budget: "train for 5 minutes" with a whole learning-rate schedule.

A run asked for N minutes first takes a few warmup steps, times them, and then fixes `max_steps` so that
the remaining steps, the periodic evaluations and the final evaluation end inside the budget. The step
count is fixed before warmup ends (the warmup ramp does not depend on `max_steps`), so the schedule is
the ordinary one of a run of that many steps: `--steps <that number>` replays it exactly, and the
learning rate decays to zero at the end instead of being cut off. A stop at the budget stays as a safety
net when the machine slows down later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .trainer import Trainer

__all__ = ["TimeBudget"]


@dataclass
class TimeBudget:
    """Fit `trainer.args.max_steps` to `minutes` of training (see the module docstring).

    Args:
        minutes: wall time for the steps and the evaluations, counted from `attach`.
        eval_s: seconds one held-out evaluation takes (the baseline's, measured before training).
        first_fit: the step at which a first estimate is made (the first steps are slower: they are skipped).
        clock: seconds, monotonic (tests pass a fake one).
    """

    minutes: float
    eval_s: float = 0.0
    first_fit: int = 8
    clock: Callable[[], float] = time.perf_counter
    fitted: list[tuple[int, int]] = field(default_factory=list)  # (step, max_steps) of each fit
    _started: float = 0.0
    _timed_from: tuple[int, float] | None = None
    _cap: int = 0

    def __post_init__(self) -> None:
        if not self.minutes > 0:
            raise ValueError(f"the time budget must be positive, got {self.minutes} minutes")

    def attach(self, trainer: Trainer) -> None:
        """Start the clock, fit the steps from the first timed ones, and stop the trainer at the budget."""
        self._started = self.clock()
        self._cap = trainer.args.max_steps  # an explicit --steps stays the upper bound
        trainer.add_callback("on_step_end", self._on_step_end)

    def _fit_points(self, warmup: int) -> tuple[int, ...]:
        last = max(warmup - 1, self.first_fit)  # the last fit still inside warmup (or the first, without one)
        return (self.first_fit, last) if last > self.first_fit else (self.first_fit,)

    def _on_step_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        step, now = trainer.global_step, self.clock()
        if now - self._started >= self.minutes * 60:
            trainer.stop_event.set()  # the machine slowed down after the fit: stop (and save) on time
        if step == 2:
            self._timed_from = (step, now)  # steps 1-2 build caches and pick kernels: not timed
        args = trainer.args
        if self._timed_from is None or step not in self._fit_points(args.warmup_steps):
            return
        first, since = self._timed_from
        per_step = (now - since) / max(step - first, 1)  # wall seconds a step, callbacks included
        left = self.minutes * 60 - (now - self._started) - self.eval_s  # the final evaluation included
        total = step + max(int(left / per_step), 1)
        periodic = (total - 1) // args.eval_every - step // args.eval_every if args.eval_every else 0
        total = step + max(int((left - periodic * self.eval_s) / per_step), 1)
        args.max_steps = min(total, self._cap)
        if args.warmup_steps >= args.max_steps:  # a machine too slow for the warmup: keep a decay phase
            args.warmup_steps = max(step, args.max_steps // 10)  # (the one case a replay cannot match)
        self.fitted.append((step, args.max_steps))
        if trainer.run_dir is not None and trainer.dist.is_main:
            trainer.run_dir.update_info(args=asdict(args))  # run.json tells the steps a replay needs
