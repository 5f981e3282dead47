"""Polling helpers the job and app tests share: wait for a condition, or for a job's view to reach one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.1) -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def wait_for(job: Any, predicate: Callable[[Any], bool], timeout: float = 60.0) -> Any:
    """Poll `job.view()` until `predicate(view)`; return that view, or fail saying where the job stood."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = job.view()
        if predicate(view):
            return view
        time.sleep(0.05)
    raise AssertionError(f"timed out; last view status={view.status} step={view.step} message={view.message}")
