"""explorer.jobs.eta (the time-left estimate) and the live run's label: made-up timings, no training."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from explorer.active_model import live_label
from explorer.jobs import eta
from explorer.jobs.base import ProgressView


def timeline(
    step_times: list[float], eval_every: int, eval_time: float, start: float = 0.0
) -> tuple[list[dict], list[dict], list[float]]:
    """Records as a job keeps them: `elapsed` after each step, an evaluation (taking `eval_time`) before
    step 1 and after every `eval_every` steps, and the final one after the last step. Also returns the
    true seconds left after each step."""
    clock, metrics, evals = start, [], [{"step": 0, "eval_time": eval_time}]
    done_at = []
    for step, seconds in enumerate(step_times, 1):
        clock += seconds
        metrics.append({"step": step, "elapsed": clock, "step_time": seconds * 0.9})
        done_at.append(clock)
        if step % eval_every == 0 and step < len(step_times):
            clock += eval_time
            evals.append({"step": step, "eval_time": eval_time})
    end = clock + eval_time  # the final evaluation
    return metrics, evals, [end - t for t in done_at]


@dataclass(frozen=True)
class View(ProgressView):
    """The fields `ProgressView.eta_s` reads, as a job's view holds them."""

    status: str
    metrics: tuple
    evals: tuple
    step: int
    max_steps: int
    eval_every: int


def test_estimate_stays_in_a_band_when_step_times_jump() -> None:
    """Speed alternating between bursts of fast and slow steps (a shared CPU), with noise, one stall
    and an evaluation every 50 steps: each refresh's estimate stays within a band around the truth
    and moves by the time that passed, where a 20-step median of step times swung by 2× and left the
    evaluations out."""
    rng = random.Random(0)
    times = []
    for burst in range(12):
        base = 0.4 if burst % 2 else 1.0
        times += [base * rng.uniform(0.8, 1.2) for _ in range(25)]
    stall = 150
    times[stall] = 30.0  # one stall (a checkpoint on a slow disk): no estimate could foresee it
    metrics, evals, truth = timeline(times, eval_every=50, eval_time=20.0)
    estimates = {}
    for i in range(30, len(times) - 5):  # a refresh right after step i + 1: evaluations after it not yet run
        view = View(
            "running", tuple(metrics[: i + 1]), tuple(e for e in evals if e["step"] < i + 1), i + 1, len(times), 50
        )
        estimates[i] = view.eta_s
        foreseeable = truth[i] - (times[stall] - 1.0 if i < stall else 0.0)
        assert 0.8 < estimates[i] / foreseeable < 1.3, f"step {i + 1}"
    for i in range(31, len(times) - 5):
        if i == stall:
            continue
        passed = metrics[i]["elapsed"] - metrics[i - 1]["elapsed"]
        assert abs(estimates[i - 1] - estimates[i] - passed) < 0.05 * estimates[i - 1], f"jump at step {i + 1}"


def test_evaluations_still_to_come_are_counted() -> None:
    metrics, evals, truth = timeline([1.0] * 100, eval_every=25, eval_time=30.0)
    assert eta.evaluations_left(10, 100, 25) == 4  # after 25, 50, 75, and the final one
    assert eta.evaluations_left(75, 100, 25) == 2 and eta.evaluations_left(75, 100, 25, last_eval_step=75) == 1
    assert eta.evaluations_left(10, 100, 0) == 1
    estimate = eta.remaining_seconds(metrics[:10], evals[:1], step=10, max_steps=100, eval_every=25)
    assert estimate == pytest.approx(truth[9]) == pytest.approx(90 + 4 * 30)
    stopping = eta.remaining_seconds(metrics[:10], evals[:1], step=10, max_steps=100, eval_every=25, stopping=True)
    assert stopping == pytest.approx(30.0)  # only the final evaluation is left


def test_before_any_evaluation_is_timed_a_guess_in_steps_is_used() -> None:
    metrics, _, _ = timeline([2.0] * 10, eval_every=100, eval_time=0.0)
    assert eta.remaining_seconds(metrics, [], step=10, max_steps=20, eval_guess_steps=5) == pytest.approx(20 + 10)
    assert eta.remaining_seconds(metrics, [], step=10, max_steps=20, has_eval=False) == pytest.approx(20)
    assert eta.remaining_seconds(metrics[:2], [], step=2, max_steps=20) is None  # too few steps timed


def test_a_resumed_run_whose_clock_restarted_is_not_confused() -> None:
    old, _, _ = timeline([1.0] * 20, eval_every=100, eval_time=0.0)
    new, _, _ = timeline([1.0] * 5, eval_every=100, eval_time=0.0)
    resumed = old + [dict(r, step=r["step"] + 20) for r in new]
    assert eta.step_seconds(resumed) == pytest.approx(1.0)


def test_live_label_says_what_the_run_is_now() -> None:
    assert live_label("r1", "running").startswith("Training now (live)")
    for status in ("stopped", "finished", "failed"):
        label = live_label("r1", status, 40)
        assert label.lower().startswith(status) and "training" not in label.lower() and "40" in label
    assert "no weights yet" in live_label(None, None)
