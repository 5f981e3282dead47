"""Background pretraining jobs: one worker thread per job (queued and capped by `explorer.job_registry`).

A job's thread prepares the data, builds a `Trainer` and iterates it; trainer callbacks (which run in
that thread, between optimizer steps, so the weights are never half-updated) record metrics,
recompute the probe sentences, pick an example for the batch inspector and, when a page asks, copy
the model for the inspection pages. Pages only ever read `job.view()`, an immutable copy, so the UI
thread and the training thread share no mutable structure.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import torch

from bert_core.checkpoint import RunDirectory
from bert_core.inspect.fill_mask import FillMaskResult, fill_mask, next_sentence, predict_masked
from bert_core.io import is_disk_full
from bert_core.pretraining.masking import KIND_NONE
from bert_core.pretraining.setup import PretrainSpec, make_trainer, prepare_pretraining, record_baseline
from bert_core.tokenizer import Tokenizer
from bert_core.training import Trainer, TrainingArguments, TrainingDiverged

from . import eta

logger = logging.getLogger(__name__)
ACTIVE = ("queued", "preparing", "running", "stopping")
QUEUED_MESSAGE = "waiting for a free training slot"
OOM_HINT = (
    "ran out of memory{where}: try a smaller batch size, shorter sequences or a smaller model "
    "(the last checkpoint is kept)"
)
DEFAULT_PROBES = (
    "The [MASK] rose sharply in early trading.",
    "The prime minister said the [MASK] would be held next year.",
    "Police said the man was [MASK] on Tuesday.",
)


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


class JobError(RuntimeError):
    """A job cannot start; the message is fit to show a user."""


def is_out_of_memory(exc: BaseException) -> bool:
    """True for an allocation failure: CUDA/MPS out of memory, or the CPU allocator giving up."""
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


@dataclass
class JobConfig:
    """Everything a job needs; built by the pretrain page from its form."""

    run_name: str
    spec: PretrainSpec
    args: TrainingArguments
    corpus_label: str = ""  # what the user picked (an upload's original name), for the runs page
    probes: list[str] = field(default_factory=lambda: list(DEFAULT_PROBES))
    probe_every: int = 10  # steps between probe / batch-inspector updates
    resume: bool = False  # continue the run's latest checkpoint


@dataclass(frozen=True)
class ProbeRecord:
    step: int
    results: tuple[FillMaskResult, ...]


@dataclass(frozen=True)
class InspectedToken:
    token: str  # what the model saw
    original: str  # what was there before masking
    kind: int  # KIND_* of bert_core.pretraining.masking: 0 none, 1 [MASK], 2 random, 3 kept
    guess: str | None  # the model's top guess at a masked position
    guess_prob: float | None
    segment: int


@dataclass(frozen=True)
class InspectedExample:
    """One training sequence of the current batch, as the model saw it, with its guesses."""

    step: int
    tokens: tuple[InspectedToken, ...]
    is_random_next: bool  # NSP label: True when segment B is a random sentence
    random_next_prob: float  # the model's P(B is random)


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
        return self.status in ACTIVE

    @property
    def eta_s(self) -> float | None:
        """Seconds left: recent wall time per step and the evaluations still to come (`explorer.eta`)."""
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


@dataclass(frozen=True)
class JobView(ProgressView):
    """A consistent copy of a job's state for the UI thread."""

    run_name: str
    run_path: Path
    status: str
    message: str
    max_steps: int
    step: int
    vocab_size: int | None
    metrics: tuple[dict[str, float], ...]
    evals: tuple[dict[str, float], ...]
    probes: tuple[ProbeRecord, ...]
    example: InspectedExample | None
    checkpoints: tuple[str, ...]
    started_at: float
    eval_every: int = 0  # held-out evaluations every N steps (0: only before and after the run)


class BackgroundJob:
    """The lifecycle every job in the registry shares: queued → preparing → running → stopping → ended,
    in a daemon thread running `self._run`. Subclasses set their own state, then call `_init_job`."""

    STOPPING_MESSAGE = "stopping after this step and saving a checkpoint"
    THREAD_PREFIX = "bert-explorer-job"

    def _init_job(self, owner: str, run_path: Path, run_name: str) -> None:
        self.owner, self.run_path = owner, run_path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._status, self._message = "queued", QUEUED_MESSAGE
        self._started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"{self.THREAD_PREFIX}-{run_name}", daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- control (any thread)
    def start(self) -> None:
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
        with self._lock:
            return self._status in ACTIVE

    def _set(self, status: str | None = None, message: str | None = None) -> None:
        with self._lock:
            if status is not None:
                self._status = status
            if message is not None:
                self._message = message


class TrainingJob(BackgroundJob):
    """One pretraining run in a background thread. Create through `JobRegistry.start`."""

    def __init__(self, owner: str, config: JobConfig, runs_root: Path) -> None:
        self.config = config
        self._init_job(owner, runs_root / config.run_name, config.run_name)
        self._metrics: list[dict[str, float]] = []
        self._evals: list[dict[str, float]] = []
        self._probe_records: list[ProbeRecord] = []
        self._probes = list(config.probes)
        self._example: InspectedExample | None = None
        self._checkpoints: list[str] = []
        self._step = 0
        self._vocab_size: int | None = None
        self._tokenizer: Tokenizer | None = None
        self._snapshot: tuple[torch.nn.Module, int] | None = None
        self._snapshot_wanted = threading.Event()

    # ---------------------------------------------------------------- control (any thread)
    def set_probes(self, texts: list[str]) -> None:
        """Replace the probe sentences; used from the next probe update on."""
        with self._lock:
            self._probes = [t for t in texts if t.strip()]

    def view(self) -> JobView:
        with self._lock:
            return JobView(
                self.config.run_name,
                self.run_path,
                self._status,
                self._message,
                self.config.args.max_steps,
                self._step,
                self._vocab_size,
                tuple(self._metrics),
                tuple(self._evals),
                tuple(self._probe_records),
                self._example,
                tuple(self._checkpoints),
                self._started_at,
                self.config.args.eval_every,
            )

    def snapshot(self) -> tuple[torch.nn.Module, Tokenizer, int] | None:
        """(a frozen copy of the model, its tokenizer, its step), or None before the first step.

        The copy is at most a few steps old: asking for it requests a fresh one, which the training
        thread makes after its current step.
        """
        self._snapshot_wanted.set()
        with self._lock:
            if self._snapshot is None or self._tokenizer is None:
                return None
            model, step = self._snapshot
            return model, self._tokenizer, step

    # ---------------------------------------------------------------- the worker thread
    def _run(self) -> None:
        run_dir = RunDirectory(self.run_path)
        try:
            trainer = self._prepare(run_dir)
            if self._stop.is_set():
                trainer.stop_event.set()
            self._set("stopping" if self._stop.is_set() else "running", "training")
            for _ in trainer:
                pass
            self._observe(trainer, force=True)
            status = trainer.status
            message = {
                "finished": f"finished {trainer.global_step} steps",
                "stopped": f"stopped at step {trainer.global_step}; resume it any time",
            }.get(status, status)
            run_dir.update_info(
                status=status,
                steps=trainer.global_step,
                final_eval=trainer.last_eval,
                final_metrics=self._metrics[-1] if self._metrics else {},
                device=str(trainer.device),
            )
            self._set(status, message)
        except TrainingDiverged as exc:
            self._finish_with_error(run_dir, "diverged", str(exc))
        except Exception as exc:  # every failure ends the job with a message; the app goes on
            if is_out_of_memory(exc):
                logger.warning("training job %s ran out of memory: %s", self.config.run_name, exc)
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                self._finish_with_error(run_dir, "failed", OOM_HINT.format(where=f" at step {self._step + 1}"))
            elif is_disk_full(exc):
                self._finish_with_error(run_dir, "failed", disk_full_message(self._step, self.run_path))
            elif isinstance(exc, (ValueError, FileNotFoundError, OSError)):  # CorpusError is a ValueError
                self._finish_with_error(run_dir, "failed", str(exc))
            else:
                logger.exception("training job %s failed", self.config.run_name)
                self._finish_with_error(run_dir, "failed", f"{type(exc).__name__}: {exc}")

    def _finish_with_error(self, run_dir: RunDirectory, status: str, message: str) -> None:
        self._set(status, message)
        record_failure(run_dir, status, message, self._step)

    def _prepare(self, run_dir: RunDirectory) -> Trainer:
        config = self.config
        spec = config.spec
        if config.resume:
            # Tokenizer and weights come from the checkpoint: a trained vocabulary is not retrained.
            spec = replace(spec, init=str(run_dir.latest_checkpoint()))
            previous = [r for r in run_dir.read_metrics() if "eval" not in r]
            with self._lock:
                self._metrics = previous
        prepared = prepare_pretraining(spec, progress=lambda m: self._set(message=m))
        self._set(message="building the model")
        trainer = make_trainer(prepared, config.args, run_dir, resume=config.resume, stop_event=self._stop)
        if config.resume:
            with self._lock:
                self._metrics = [m for m in self._metrics if m.get("step", 0) <= trainer.global_step]
        else:  # the owner decides who sees the run (explorer.runs.visible_runs)
            run_dir.update_info(
                name=config.run_name,
                corpus_label=config.corpus_label or spec.corpus,
                vocab_size=prepared.tokenizer.vocab_size,
                owner=self.owner,
            )
        run_dir.update_info(status="running")
        with self._lock:
            self._tokenizer, self._vocab_size = prepared.tokenizer, prepared.tokenizer.vocab_size
            self._step = trainer.global_step
        trainer.add_callback("on_step_end", self._on_step_end)
        trainer.add_callback("on_evaluate", lambda t, m: self._append("_evals", dict(m, eval_time=t.last_eval_time)))
        trainer.add_callback("on_save", lambda t, path: self._append("_checkpoints", Path(path).name))
        if config.resume:
            with self._lock:
                self._evals = [dict(r["eval"]) for r in run_dir.read_metrics() if "eval" in r]
        else:
            self._set(message="measuring the held-out baseline")
            record_baseline(trainer, run_dir)  # "before" of the before → after comparison
        return trainer

    def _append(self, name: str, item: Any) -> None:
        with self._lock:
            getattr(self, name).append(item)

    def _on_step_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        with self._lock:
            self._metrics.append(dict(metrics))
            self._step = trainer.global_step
        step = trainer.global_step
        self._observe(trainer, force=step == 1 or step % self.config.probe_every == 0)

    def _observe(self, trainer: Trainer, force: bool) -> None:
        """Probes, batch inspector and snapshot: between steps, so the weights are consistent."""
        if force:
            with self._lock:
                probes, tokenizer = list(self._probes), self._tokenizer
            assert tokenizer is not None
            results = (
                tuple(fill_mask(trainer.model, tokenizer, probes, top_k=5, max_length=self.config.spec.max_seq_length))
                if probes
                else ()
            )
            example = self._inspect(trainer, tokenizer)
            with self._lock:
                if not self._probe_records or self._probe_records[-1].step != trainer.global_step:
                    self._probe_records.append(ProbeRecord(trainer.global_step, results))
                self._example = example or self._example
        if force or self._snapshot_wanted.is_set():
            self._snapshot_wanted.clear()
            frozen = copy.deepcopy(trainer.model).eval()
            with self._lock:
                self._snapshot = (frozen, trainer.global_step)

    def _inspect(self, trainer: Trainer, tokenizer: Tokenizer) -> InspectedExample | None:
        """The first sequence of the batch just trained on, with the model's guesses."""
        if trainer.global_step == 0:
            return None
        micro = (trainer.global_step - 1) * trainer.args.gradient_accumulation_steps
        batch = trainer.task.batch(micro)
        n = int(batch["attention_mask"][0].sum())
        ids, types = batch["input_ids"][:1, :n], batch["token_type_ids"][:1, :n]  # (1, n)
        kinds = batch["mask_kind"][:1, :n]  # (1, n)
        positions = kinds != KIND_NONE
        guesses: list[tuple[str, float]] = []
        if bool(positions.any()):
            probs, top = predict_masked(trainer.model, ids, positions, token_type_ids=types, top_k=1)
            guesses = list(zip(tokenizer.convert_ids_to_tokens(top[:, 0].tolist()), probs[:, 0].tolist()))
        nsp = next_sentence(trainer.model, ids, types)[0]
        seen = tokenizer.convert_ids_to_tokens(ids[0].tolist())
        original = tokenizer.convert_ids_to_tokens(batch["original_input_ids"][0, :n].tolist())
        tokens, g = [], iter(guesses)
        for tok, orig, kind, seg in zip(seen, original, kinds[0].tolist(), types[0].tolist()):
            guess, prob = next(g) if kind != KIND_NONE else (None, None)
            tokens.append(InspectedToken(tok, orig, int(kind), guess, prob, int(seg)))
        return InspectedExample(
            trainer.global_step, tuple(tokens), bool(batch["next_sentence_label"][0]), nsp.random_prob
        )


def resume_config(run_path: Path, *, max_steps: int | None = None, probes: list[str] | None = None) -> JobConfig:
    """A `JobConfig` continuing a saved run with its own settings (optionally more steps).

    Raises:
        JobError: run.json is missing or was not written by a pretraining run.
    """
    info = RunDirectory(run_path).read_info()
    if info.get("kind") != "pretraining" or "spec" not in info or "args" not in info:
        raise JobError(f"run {run_path.name!r} was not pretrained here, so it cannot be resumed")
    spec = PretrainSpec(**info["spec"])
    args = TrainingArguments(**{**info["args"], **({"max_steps": max_steps} if max_steps else {})})
    return JobConfig(
        run_path.name,
        spec,
        args,
        corpus_label=info.get("corpus_label", ""),
        probes=list(probes) if probes is not None else list(DEFAULT_PROBES),
        resume=True,
    )
