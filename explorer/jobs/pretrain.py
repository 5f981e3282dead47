"""Background pretraining jobs: one worker thread per job (queued and capped by `explorer.jobs.registry`).

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
from typing import Any

import torch

from bert_core.checkpoint import RunDirectory
from bert_core.inspect.fill_mask import FillMaskResult, fill_mask, next_sentence, predict_masked
from bert_core.pretraining.masking import KIND_NONE
from bert_core.pretraining.setup import PretrainSpec, make_trainer, prepare_pretraining, record_baseline
from bert_core.pretraining.timelapse import DEFAULT_PROBES, TimelapseRecorder, timelapse_words
from bert_core.tokenizer import Tokenizer
from bert_core.training import Trainer, TrainingArguments
from bert_core.training.budget import TimeBudget
from explorer.jobs.base import BackgroundJob, JobError, ProgressView

logger = logging.getLogger(__name__)


@dataclass
class JobConfig:
    """Everything a job needs; built by the pretrain page from its form."""

    run_name: str
    spec: PretrainSpec
    args: TrainingArguments
    corpus_label: str = ""  # what the user picked (an upload's original name), for the runs page
    probes: list[str] = field(default_factory=lambda: list(DEFAULT_PROBES))
    probe_every: int = 10  # steps between probe / batch-inspector updates...
    probe_min_s: float = 1.0  # ...but not more often than this: the page redraws every 2 s
    resume: bool = False  # continue the run's latest checkpoint
    max_minutes: float | None = None  # a time budget: the steps are fitted to it (bert_core.training.budget)
    timelapse_frames: int = 30  # snapshots for the time-lapse (0: none)


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


class TrainingJob(BackgroundJob):
    """One pretraining run in a background thread. Create through `JobRegistry.start`."""

    KIND = "pretraining"

    @classmethod
    def check_can_start(cls, config: JobConfig, runs_root: Path) -> None:
        """Raise `JobError` when the run name is taken (a new run) or has no checkpoint (a resume)."""
        run_path = runs_root / config.run_name
        exists = RunDirectory(run_path).latest_checkpoint() is not None or (run_path / "run.json").exists()
        if config.resume and RunDirectory(run_path).latest_checkpoint() is None:
            raise JobError(f"run {config.run_name!r} has no checkpoint to resume from")
        if not config.resume and exists:
            raise JobError(f"a run named {config.run_name!r} already exists: choose another name")

    def __init__(self, owner: str, config: JobConfig, runs_root: Path) -> None:
        self.config = config
        self._init_job(owner, runs_root / config.run_name, config.run_name)
        self._probe_records: list[ProbeRecord] = []
        self._probes = list(config.probes)
        self._example: InspectedExample | None = None
        self._checkpoints: list[str] = []
        self._vocab_size: int | None = None
        self._tokenizer: Tokenizer | None = None
        self._snapshot: tuple[torch.nn.Module, int] | None = None
        self._snapshot_wanted = threading.Event()
        self._observed_at = 0.0  # when the probes last ran (perf_counter seconds)

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
    def _work(self, run_dir: RunDirectory) -> None:
        trainer = self._prepare(run_dir)
        if self._stop.is_set():
            trainer.stop_event.set()
        self._set("stopping" if self._stop.is_set() else "running", "training")
        for _ in trainer:
            pass
        self._observe(trainer, force=True, final=True)
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
        else:  # the owner decides who sees the run (explorer.runs.store.visible_runs)
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
        eval_s = 0.0
        if not config.resume:
            self._set(message="measuring the held-out baseline")
            started = time.perf_counter()
            record_baseline(trainer, run_dir)  # "before" of the before → after comparison
            eval_s = time.perf_counter() - started
        if config.timelapse_frames:
            words, groups = timelapse_words(prepared.corpus.texts(), prepared.tokenizer)
            TimelapseRecorder(
                run_dir.path, prepared.tokenizer, config.probes, words, groups, config.timelapse_frames
            ).attach(trainer)
        if config.max_minutes and not config.resume:
            TimeBudget(config.max_minutes, eval_s=eval_s).attach(trainer)
        return trainer

    def _append(self, name: str, item: Any) -> None:
        with self._lock:
            getattr(self, name).append(item)

    def _on_step_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        self._record_step(trainer, metrics)
        step, now = trainer.global_step, time.perf_counter()
        # Probes and the batch inspector every `probe_every` steps, but not more often than the page redraws:
        # a tiny model takes ~17 steps a second, and each update is time the training thread loses.
        due = step == 1 or (step % self.config.probe_every == 0 and now - self._observed_at >= self.config.probe_min_s)
        if due:
            self._observed_at = now
        self._observe(trainer, force=due)

    def _observe(self, trainer: Trainer, force: bool, final: bool = False) -> None:
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
        # A frozen copy for the inspection pages: the first, the last, and whenever a page asks for one.
        if final or (force and self._snapshot is None) or self._snapshot_wanted.is_set():
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
