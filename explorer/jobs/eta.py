"""How long a training run has left: recent wall time per step, plus the evaluations still to come.

Pure functions of a job's records, so the estimate can be tested with made-up timings. A step's
wall time is the gap between consecutive steps' `elapsed` (so probe sentences, snapshots and
checkpoints, which run between steps, count too) minus any evaluation that ran in that gap; its
typical value is a trimmed mean over a long window, because on a shared CPU single steps swing
between fast and slow and a short median jumped by a factor of two from one refresh to the next.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

Records = Sequence[Mapping[str, float]]
WINDOW = 100  # steps the per-step time is averaged over: long enough that bursts of slow steps even out
TRIM = 0.1  # share of the shortest and of the longest steps left out (one-off stalls, e.g. a checkpoint)
MIN_STEPS = 3  # fewer timed steps than this: no estimate yet


def _eval_seconds_after(evals: Records) -> dict[int, float]:
    """Evaluation seconds by the step they followed (an evaluation runs between two steps)."""
    after: dict[int, float] = {}
    for record in evals:
        if "eval_time" in record and "step" in record:
            step = int(record["step"])
            after[step] = after.get(step, 0.0) + float(record["eval_time"])
    return after


def trimmed_mean(values: Sequence[float], trim: float = TRIM) -> float:
    """The mean of `values` without the lowest and the highest `trim` share of them."""
    ordered = sorted(values)
    cut = int(len(ordered) * trim)
    kept = ordered[cut : len(ordered) - cut] or ordered
    return sum(kept) / len(kept)


def step_seconds(metrics: Records, evals: Records = (), window: int = WINDOW) -> float | None:
    """Typical wall seconds per training step over the last `window` steps, evaluations excluded.

    Uses the gaps between consecutive steps' `elapsed`; records without it fall back to their
    `step_time` (the optimizer step alone). The first step pays for warm-up and is left out; a gap
    that is not positive (a resumed run restarts its clock) is skipped. None with too few steps.
    """
    evaluated = _eval_seconds_after(evals)
    recent = [m for m in metrics[-(window + 1) :] if "step" in m]
    durations: list[float] = []
    for before, record in zip(recent, recent[1:]):
        if record["step"] != before["step"] + 1 or record["step"] <= 1:
            continue
        if "elapsed" in record and "elapsed" in before:
            gap = record["elapsed"] - before["elapsed"] - evaluated.get(int(before["step"]), 0.0)
        else:
            gap = record.get("step_time", 0.0)
        if gap > 0:
            durations.append(gap)
    return trimmed_mean(durations) if len(durations) >= MIN_STEPS else None


def evaluations_left(
    step: int, max_steps: int, eval_every: int, stopping: bool = False, last_eval_step: int | None = None
) -> int:
    """Evaluations still to run: one every `eval_every` steps before the last, then the final one
    (what `bert_core.training.Trainer` does); a stopping run has only the final one left.

    The evaluation due right after `step` counts as still to run unless `last_eval_step` says it ran.
    """
    if stopping or eval_every <= 0:
        return 1
    periodic = max(0, (max_steps - 1) // eval_every - step // eval_every)
    due_now = step % eval_every == 0 and 0 < step < max_steps and (last_eval_step or 0) < step
    return periodic + int(due_now) + 1


def eval_seconds(evals: Records, guess: float | None = None) -> float:
    """Seconds one evaluation takes: the median of those measured, else `guess` (else 0)."""
    measured = [float(e["eval_time"]) for e in evals if "eval_time" in e]
    if measured:
        return statistics.median(measured[-5:])
    return guess or 0.0


def remaining_seconds(
    metrics: Records,
    evals: Records,
    *,
    step: int,
    max_steps: int,
    eval_every: int = 0,
    stopping: bool = False,
    has_eval: bool = True,
    eval_guess_steps: float = 0.0,
) -> float | None:
    """Seconds left: steps left × typical step time + evaluations left × typical evaluation time.

    Args:
        metrics, evals: the job's per-step records (`step`, `elapsed`, `step_time`) and evaluation
            records (`step`, `eval_time` in seconds).
        stopping: Stop was pressed: no more steps, only the final evaluation.
        has_eval: the run has a held-out set (without one no evaluation runs).
        eval_guess_steps: before any evaluation was timed, one is assumed to take this many steps.

    Returns:
        None until a few steps have been timed.
    """
    per_step = step_seconds(metrics, evals)
    if per_step is None:
        return None
    steps_left = 0 if stopping else max(0, max_steps - step)
    last = max((int(e["step"]) for e in evals if "step" in e), default=None)
    evals_left = evaluations_left(step, max_steps, eval_every, stopping, last) if has_eval else 0
    return per_step * steps_left + evals_left * eval_seconds(evals, eval_guess_steps * per_step)
