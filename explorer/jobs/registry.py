"""The process-wide job registry: each session's latest job, a cap on concurrent training, a queue.

The registry (`explorer.session.job_registry()`, a `st.cache_resource` singleton) maps a session's owner id to
that session's latest job and caps how many jobs train at once; a job over the cap waits in a
first-come-first-served queue (status "queued") and starts by itself when a slot frees.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol

import streamlit as st

from explorer import settings
from explorer.jobs.base import BackgroundJob, JobError
from explorer.jobs.finetune import FinetuneConfig, FinetuneJob
from explorer.jobs.pretrain import JobConfig, TrainingJob

# Which job a config starts: every kind of background run the registry knows.
JOB_KINDS: dict[type, type[BackgroundJob]] = {JobConfig: TrainingJob, FinetuneConfig: FinetuneJob}


class Job(Protocol):
    """What the registry needs of a job (`TrainingJob`, or any other kind of background run).

    `active` must be True from creation (while the job waits in the queue) until the job ends;
    `stop()` on a job that has not started must make it inactive or let it end at once once started.
    """

    owner: str
    run_path: Path

    @property
    def active(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...


class JobRegistry:
    """Process-wide: each owner's latest job, a cap on how many train at once, and a queue for the rest.

    Jobs over the cap wait first come, first served; a dispatcher thread (alive while anyone waits)
    starts the next one as soon as a running job ends. A job stopped while it waits is dropped.
    """

    POLL_S = 0.25  # how often the dispatcher looks for a free slot

    def __init__(self, max_jobs: int, max_queue: int = 100) -> None:
        self.max_jobs, self.max_queue = max_jobs, max_queue
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # owner → latest job
        self._running: list[Job] = []  # started, maybe ended since (pruned by _pump_locked)
        self._queue: list[Job] = []  # waiting, in order
        self._dispatcher: threading.Thread | None = None

    def get(self, owner: str) -> Job | None:
        with self._lock:
            return self._jobs.get(owner)

    def jobs(self) -> list[Job]:
        """Every owner's latest job that is queued or running (the teacher's panel)."""
        with self._lock:
            return [job for job in self._jobs.values() if job.active]

    def active_count(self) -> int:
        """Jobs running now (queued ones not counted)."""
        with self._lock:
            self._pump_locked()
            return len(self._running)

    def queue_position(self, job: Job | None) -> int | None:
        """1 for the next job to start, 2 for the one after…; None when `job` is not waiting."""
        with self._lock:
            for n, waiting in enumerate((j for j in self._queue if j.active), 1):
                if waiting is job:
                    return n
        return None

    def training_run_paths(self) -> set[Path]:
        """Run folders being written now or soon (the runs page must not rename or delete them)."""
        with self._lock:
            return {job.run_path for job in self._jobs.values() if job.active}

    def start(self, owner: str, config: JobConfig | FinetuneConfig, runs_root: Path) -> BackgroundJob:
        """Start a job of the kind `config` describes (`JOB_KINDS`) for `owner`, or queue it when the server
        is at its cap. The job takes the owner's slot for its kind (`BackgroundJob.slot`).

        Raises:
            JobError: the owner already has a run of this kind in progress, the queue is full, or the kind
                refuses the config (a pretraining run name taken, a resume without a checkpoint).
        """
        kind = JOB_KINDS.get(type(config))
        if kind is None:
            raise TypeError(f"no job kind for {type(config).__name__}")
        kind.check_can_start(config, runs_root)
        job = kind(owner, config, runs_root)
        self.start_job(kind.slot(owner), job)
        return job

    def start_job(self, owner: str, job: Job) -> Job:
        """Run `job` for `owner` now if a slot is free, else queue it (it starts by itself later).

        Raises:
            JobError: the owner already has a run in progress, another job writes the same run folder,
                or the queue is full.
        """
        with self._lock:
            current = self._jobs.get(owner)
            if current is not None and current.active:
                raise JobError("you already have a run in progress: stop it first")
            if job.run_path in {j.run_path for j in self._jobs.values() if j.active}:
                raise JobError(f"run {job.run_path.name!r} is being trained by someone else")
            self._queue = [j for j in self._queue if j.active]
            if len(self._queue) >= self.max_queue:
                raise JobError(
                    f"{len(self._queue)} runs are already waiting for the server (its limit); try again later"
                )
            self._jobs[owner] = job
            self._queue.append(job)
            ready = self._pump_locked()
            if self._queue and (self._dispatcher is None or not self._dispatcher.is_alive()):
                self._dispatcher = threading.Thread(target=self._dispatch, name="bert-explorer-queue", daemon=True)
                self._dispatcher.start()
        for started in ready:
            started.start()
        return job

    def _pump_locked(self) -> list[Job]:
        """Forget ended jobs and move waiting ones into free slots; the caller starts the returned jobs."""
        self._running = [j for j in self._running if j.active]
        self._queue = [j for j in self._queue if j.active]  # stopped while waiting
        ready = []
        while self._queue and len(self._running) < self.max_jobs:
            job = self._queue.pop(0)
            self._running.append(job)
            ready.append(job)
        return ready

    def _dispatch(self) -> None:
        while True:
            time.sleep(self.POLL_S)
            with self._lock:
                ready = self._pump_locked()
                done = not self._queue
                if done:
                    self._dispatcher = None
            for job in ready:
                job.start()
            if done:
                return

    def stop_all(self, timeout: float = 30.0) -> None:
        """Stop every job, waiting ones first, and wait for them (tests, shutdown)."""
        with self._lock:
            jobs = list(self._queue) + [j for j in self._jobs.values() if j not in self._queue]
        for job in jobs:
            job.stop()
        for job in jobs:
            job.join(timeout)


@st.cache_resource
def job_registry() -> JobRegistry:
    """The one registry of training jobs in this server process."""
    return JobRegistry(settings.max_jobs(), settings.classroom().max_queue)
