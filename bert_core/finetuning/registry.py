"""The fine-tuning tasks by name: `FINETUNE_TASKS["qa"]`, `get_task("sentiment")`."""

from __future__ import annotations

from .qa import QA
from .sentiment import SENTIMENT
from .task import FinetuneTask

__all__ = ["FINETUNE_TASKS", "TASKS", "get_task"]

FINETUNE_TASKS: dict[str, FinetuneTask] = {task.name: task for task in (SENTIMENT, QA)}
TASKS = tuple(FINETUNE_TASKS)  # ("sentiment", "qa"): the CLI's --task choices


def get_task(task: str | FinetuneTask) -> FinetuneTask:
    """The task object of a name (a task object passes through).

    Raises:
        ValueError: an unknown task name.
    """
    if isinstance(task, FinetuneTask):
        return task
    if task not in FINETUNE_TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return FINETUNE_TASKS[task]
