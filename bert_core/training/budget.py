"""Fit a run's length to a wall-time budget: "train for 5 minutes" with a whole learning-rate schedule.

A run asked for N minutes first takes a few steps, times them, and fixes `max_steps` so that the remaining
steps, the periodic evaluations and the final evaluation end inside the budget: the learning rate then
decays to zero at the end instead of being cut off. The first fits happen inside warmup, whose ramp does not
depend on `max_steps`, so a run on a steady machine has the ordinary schedule of a run of that many steps
and `--steps <that number>` replays it exactly. On a shared machine the speed can change later: every
tenth of the run the projected end is checked again, and when it misses the budget by more than
`TOLERANCE` of it (before `LAST_REFIT` of the budget has gone) the steps are fitted again: the decay
bends there; each fit is kept in run.json as `budget_fits`, and a replay matches only a run whose fits
all happened in warmup. A stop at the budget
stays as a safety net.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .trainer import Trainer

__all__ = ["TimeBudget"]

TOLERANCE = 0.1  # a projected end this far from the budget (as a share of it) fits the steps again...
LAST_REFIT = 0.8  # ...until this share of the budget has gone (late fits would only bend the decay's tail)
RECENT = 50  # steps whose times give the current speed after warmup


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
    _times: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=RECENT + 1))
    _cap: int = 0

    def __post_init__(self) -> None:
        if not self.minutes > 0:
            raise ValueError(f"the time budget must be positive, got {self.minutes} minutes")

    def attach(self, trainer: Trainer) -> None:
        """Start the clock, fit the steps from the first timed ones, and stop the trainer at the budget."""
        self._started = self.clock()
        self._cap = trainer.args.max_steps  # an explicit --steps stays the upper bound
        trainer.add_callback("on_step_end", self._on_step_end)

    def _warmup_fits(self, warmup: int) -> tuple[int, ...]:
        last = max(warmup - 1, self.first_fit)  # the last fit still inside warmup (or the first, without one)
        return (self.first_fit, last) if last > self.first_fit else (self.first_fit,)

    def _on_step_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        step, now = trainer.global_step, self.clock()
        budget = self.minutes * 60
        if now - self._started >= budget:
            trainer.stop_event.set()  # the machine slowed down after the last fit: stop (and save) on time
        if step >= 2:  # steps 1-2 build caches and pick kernels: not timed
            self._times.append((step, now))
        args = trainer.args
        in_warmup = step in self._warmup_fits(args.warmup_steps)
        check_every = max(RECENT, args.max_steps // 10)
        if len(self._times) < 2 or not (in_warmup or (self.fitted and step % check_every == 0)):
            return
        first, since = self._times[0]
        per_step = (now - since) / (step - first)  # wall seconds a step, callbacks included
        left = budget - (now - self._started) - self.eval_s  # the final evaluation included
        total = step + max(int(left / per_step), 1)
        periodic = (total - 1) // args.eval_every - step // args.eval_every if args.eval_every else 0
        total = min(step + max(int((left - periodic * self.eval_s) / per_step), 1), self._cap)
        if not in_warmup and (
            abs(total - args.max_steps) * per_step <= TOLERANCE * budget or now - self._started > LAST_REFIT * budget
        ):
            return  # on time, or too late to matter: keep the schedule
        args.max_steps = total
        if args.warmup_steps >= args.max_steps:  # a machine too slow for the warmup: keep a decay phase
            args.warmup_steps = max(step, args.max_steps // 10)
        self.fitted.append((step, args.max_steps))
        if trainer.run_dir is not None and trainer.dist.is_main:  # the steps a replay needs, and every fit
            trainer.run_dir.update_info(args=asdict(args), budget_fits=[list(f) for f in self.fitted])
