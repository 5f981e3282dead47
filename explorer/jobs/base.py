"""The job base every background run shares: its thread, stop, metrics, and how a failure ends it.

A job kind (`explorer.jobs.pretrain.TrainingJob`, `explorer.jobs.finetune.FinetuneJob`) subclasses
`BackgroundJob` and implements `_work`, which prepares and iterates a `Trainer` in the job's daemon
thread. Whatever `_work` raises ends the job through the one handler here, so every kind reports the
same failures the same way: a diverged loss, running out of memory (CUDA/MPS, or the CPU allocator's
"can't allocate memory"), a full disk, unreadable data, and any other error.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import torch

from bert_core.checkpoint import RunDirectory
from bert_core.io import is_disk_full
from bert_core.training import Trainer, TrainingDiverged
from explorer.jobs import eta

logger = logging.getLogger(__name__)
ACTIVE = ("queued", "preparing", "running", "stopping")
QUEUED_MESSAGE = "waiting for a free training slot"
OOM_HINT = (
    "ran out of memory{where}: try a smaller batch size, shorter sequences or a smaller model "
    "(the last checkpoint is kept)"
)


class JobError(RuntimeError):
    """A job cannot start; the message is fit to show a user."""


def disk_full_message(step: int, run_path: Path) -> str:
    """What a user reads when the disk fills up under a run (the job has stopped)."""
    checkpoint = RunDirectory(run_path).latest_checkpoint()
    kept = (
        f"Its newest checkpoint (step {checkpoint.name.removeprefix('checkpoint-')}) is intact and loads"
        if checkpoint
        else "No checkpoint had been saved yet"
    )
    return (
        f"The server's disk is full (no space left on device): the run stopped at step {step}. {kept}. "
        "Free some space (delete old runs on the Runs page), then resume it."
    )


def record_failure(run_dir: RunDirectory, status: str, message: str, step: int) -> None:
    """Note a failed run's status in its run.json, if it has one and the disk takes the write."""
    if not (run_dir.path / "run.json").is_file():
        return
    try:
        run_dir.update_info(status=status, error=message, steps=step)
    except OSError as exc:  # a full disk: run.json keeps its last good version (the write is atomic)
        logger.warning("could not record the failure of %s in run.json: %s", run_dir.path.name, exc)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for an allocation failure: CUDA/MPS out of memory, or the CPU allocator giving up."""
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


class ProgressView:
    """`active` and `eta_s` for a job view with `status`, `metrics`, `evals`, `step`, `max_steps` and
    `eval_every` fields."""

    # Before an evaluation has been timed (a resumed run), one is assumed to cost this many training
    # steps: at most 20 held-out batches (PretrainingTask.eval_batches) of forward passes, each about a
    # third of a training step (forward, backward, update).
    EVAL_GUESS_STEPS: ClassVar[float] = 20 / 3

    status: str
    metrics: tuple[dict[str, float], ...]
    evals: tuple[dict[str, float], ...]
    step: int
    max_steps: int
    eval_every: int

    @property
    def active(self) -> bool:
        """Queued, preparing, running or stopping: the job has not ended."""
        return self.status in ACTIVE

    @property
    def eta_s(self) -> float | None:
        """Seconds left: recent wall time per step and the evaluations still to come (`explorer.jobs.eta`)."""
        if not self.active:
            return None
        return eta.remaining_seconds(
            self.metrics,
            self.evals,
            step=self.step,
            max_steps=self.max_steps,
            eval_every=self.eval_every,
            stopping=self.status == "stopping",
            has_eval=bool(self.evals),
            eval_guess_steps=self.EVAL_GUESS_STEPS,
        )


class BackgroundJob:
    """The lifecycle every job in the registry shares: queued → preparing → running → stopping → ended,
    in a daemon thread that runs `_work` and turns whatever it raises into a status and a message.

    A subclass sets `KIND` (for logs), its own state, calls `_init_job`, and implements `_work`; it may
    override `check_can_start` (the registry calls it before creating the job) and `slot` (the registry
    key of an owner's job of this kind, so one owner can hold one job of each kind).
    """

    KIND: ClassVar[str] = "training"
    STOPPING_MESSAGE: ClassVar[str] = "stopping after this step and saving a checkpoint"
    THREAD_PREFIX: ClassVar[str] = "bert-explorer-job"

    owner: str
    run_path: Path

    def _init_job(self, owner: str, run_path: Path, run_name: str) -> None:
        self.owner, self.run_path = owner, run_path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._status, self._message = "queued", QUEUED_MESSAGE
        self._started_at = time.time()
        self._step = 0
        self._metrics: list[dict[str, float]] = []  # one record per training step
        self._evals: list[dict[str, float]] = []  # one record per evaluation
        self._thread = threading.Thread(target=self._run, name=f"{self.THREAD_PREFIX}-{run_name}", daemon=True)

    # ---------------------------------------------------------------- what a job kind provides
    @classmethod
    def check_can_start(cls, config: Any, runs_root: Path) -> None:
        """Raise `JobError` when a job for `config` must not start (checked by `JobRegistry.start`)."""

    @classmethod
    def slot(cls, owner: str) -> str:
        """The registry key of `owner`'s job of this kind."""
        return owner

    def _work(self, run_dir: RunDirectory) -> None:
        """Prepare, train and record the run (in the job's thread); raise to fail it."""
        raise NotImplementedError

    def view(self) -> ProgressView:
        """An immutable copy of the job's state for the UI thread (each kind has its own view class)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- control (any thread)
    def start(self) -> None:
        """Start the worker thread (the registry calls this when a slot is free)."""
        with self._lock:
            if self._status != "queued":  # cancelled while it waited
                return
            self._status, self._message = "preparing", "starting"
        self._thread.start()

    def stop(self) -> None:
        """Ask the run to end after the current step (it saves a checkpoint first); a waiting run is dropped."""
        self._stop.set()
        with self._lock:
            if self._status == "queued":
                self._status, self._message = "stopped", "cancelled before it started"
            elif self._status in ("preparing", "running"):
                self._status, self._message = "stopping", self.STOPPING_MESSAGE

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (a queued run: to start and end, or to be cancelled); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.ident is None and self.active:  # still waiting in the queue
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        if self._thread.ident is None:  # cancelled before it started
            return True
        self._thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    @property
    def active(self) -> bool:
        """True from creation (waiting in the queue included) until the run has ended."""
        with self._lock:
            return self._status in ACTIVE

    def _set(self, status: str | None = None, message: str | None = None) -> None:
        with self._lock:
            if status is not None:
                self._status = status
            if message is not None:
                self._message = message

    # ---------------------------------------------------------------- the worker thread
    def _run(self) -> None:
        run_dir = RunDirectory(self.run_path)
        try:
            self._work(run_dir)
        except TrainingDiverged as exc:
            self._finish_with_error(run_dir, "diverged", str(exc))
        except Exception as exc:  # every failure ends the job with a message; the app goes on
            self._finish_with_error(run_dir, "failed", self.failure_message(exc))

    def failure_message(self, exc: Exception) -> str:
        """What a user reads when `exc` ended the run (called in the `except` block, so it can log the traceback)."""
        name = self.run_path.name
        if is_out_of_memory(exc):
            logger.warning("%s job %s ran out of memory: %s", self.KIND, name, exc)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            return OOM_HINT.format(where=f" at step {self._step + 1}")
        if is_disk_full(exc):
            return disk_full_message(self._step, self.run_path)
        if isinstance(exc, (ValueError, FileNotFoundError, OSError)):  # CorpusError is a ValueError
            return str(exc)
        logger.exception("%s job %s failed", self.KIND, name)
        return f"{type(exc).__name__}: {exc}"

    def _finish_with_error(self, run_dir: RunDirectory, status: str, message: str) -> None:
        self._set(status, message)
        record_failure(run_dir, status, message, self._step)

    def _record_step(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """A trainer's `on_step_end`: keep the step's metrics (in the job's thread)."""
        with self._lock:
            self._metrics.append(dict(metrics))
            self._step = trainer.global_step
