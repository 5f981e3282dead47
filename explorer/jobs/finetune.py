"""Background fine-tuning jobs: the fine-tune page's counterpart of `explorer.jobs.pretrain.TrainingJob`.

Same design: one worker thread per job, started through the process-wide `JobRegistry` (so the
server's cap on concurrent jobs counts pretraining and fine-tuning together); trainer callbacks run
in that thread between optimizer steps and record metrics; pages read `job.view()`, an immutable
copy. Stop ends the run after the current step, evaluates and saves a checkpoint.

A session's fine-tuning job lives in the registry under its own slot (`finetune_slot(owner)`), so
the pretrain page's `registry.get(owner)` keeps returning that session's pretraining job.

When the run has ended, the job keeps two models for the page: the fine-tuned one and a frozen copy
of the starting point taken before the first step (pretrained encoder + untrained head), for the
try-it box and the before/after view.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from bert_core.checkpoint import RunDirectory
from bert_core.finetuning.classification import ClassificationTask, worst_misclassified
from bert_core.finetuning.question_answering import QuestionAnsweringTask
from bert_core.finetuning.setup import PreparedFinetuning, finetune_arguments, make_finetune_trainer, prepare_finetuning
from bert_core.tokenizer import Tokenizer
from bert_core.training import Trainer
from explorer.jobs.base import BackgroundJob, JobError, ProgressView
from explorer.jobs.finetune_data import WORST_K, qa_errors, subsample


def finetune_slot(owner: str) -> str:
    """The registry key of `owner`'s fine-tuning job (next to its pretraining job under `owner`)."""
    return f"{owner}/finetune"


@dataclass
class FinetuneConfig:
    """Everything a fine-tuning job needs; built by the fine-tune page from its form."""

    run_name: str
    task: str  # sentiment | qa
    init: str  # builtin:minilm | random | hub:NAME | a run directory
    data: str  # a built-in spec or a file path (an upload saved under a generated name)
    data_label: str = ""  # what the user picked (an upload's original name), for the runs page
    options: dict[str, Any] = field(default_factory=dict)  # other FinetuneSpec fields (columns, seq len, ...)
    epochs: float = 1.0
    learning_rate: float = 5e-5
    freeze_encoder_steps: int = 0
    max_train_examples: int = 0  # a seeded subsample of the training split (0: all of it)
    max_dev_examples: int = 0  # a seeded subsample of the dev split (0: all of it)
    evals_per_epoch: int = 4  # dev evaluations per epoch: the points of the live dev curve
    precision: str = "auto"


@dataclass(frozen=True)
class FinetuneView(ProgressView):
    """A consistent copy of a fine-tuning job's state for the UI thread."""

    run_name: str
    run_path: Path
    task: str
    status: str
    message: str
    max_steps: int
    step: int
    steps_per_epoch: int
    metrics: tuple[dict[str, float], ...]  # per training step
    evals: tuple[dict[str, float], ...]  # dev evaluations; the first (step 0) is the untrained baseline
    labels: tuple[str, ...]  # class names (sentiment)
    data_info: dict[str, Any]
    confusion: tuple[tuple[int, ...], ...] | None  # of the last evaluation (rows: gold, columns: predicted)
    worst: tuple[dict[str, Any], ...]  # worst dev errors of the last evaluation
    started_at: float
    has_models: bool  # the run ended and its models can be queried (try-it, before/after)
    eval_every: int = 0  # dev evaluations every N steps (and one before and one after the run)

    @property
    def before(self) -> dict[str, float]:
        return self.evals[0] if self.evals and self.evals[0].get("step") == 0 else {}

    @property
    def after(self) -> dict[str, float]:
        return self.evals[-1] if self.evals and self.evals[-1].get("step", 0) > 0 else {}


@dataclass(frozen=True)
class FinetunedModels:
    """The models of an ended run: `start` (before the first step) and `tuned`, sharing a tokenizer."""

    start: torch.nn.Module
    tuned: torch.nn.Module
    tokenizer: Tokenizer
    max_seq_length: int
    dev_texts: tuple[str, ...]  # dev inputs (sentiment texts, QA questions) for the before/after view
    dev_labels: tuple[str, ...]  # their classes (sentiment; empty for QA)
    dev_contexts: tuple[str, ...]  # QA: each question's passage (empty for sentiment)
    doc_stride: int
    key: str  # identifies these weights (cache key of derived data)


class FinetuneJob(BackgroundJob):
    """One fine-tuning run in a background thread (an `explorer.jobs.registry.Job`). Start it with
    `JobRegistry.start(owner, config, runs_root)`; it may wait in the registry's queue first."""

    KIND = "fine-tuning"
    STOPPING_MESSAGE = "stopping after this step, then evaluating and saving"
    THREAD_PREFIX = "bert-explorer-finetune"

    def __init__(self, owner: str, config: FinetuneConfig, runs_root: Path) -> None:
        self.config = config
        self._init_job(owner, runs_root / config.run_name, config.run_name)
        self._labels: tuple[str, ...] = ()
        self._data_info: dict[str, Any] = {}
        self._confusion: tuple[tuple[int, ...], ...] | None = None
        self._worst: tuple[dict[str, Any], ...] = ()
        self._max_steps, self._per_epoch, self._eval_every = 0, 0, 0
        self._models: FinetunedModels | None = None

    @classmethod
    def check_can_start(cls, config: FinetuneConfig, runs_root: Path) -> None:
        """Raise `JobError` when a run of that name exists."""
        if (runs_root / config.run_name).exists():
            raise JobError(f"a run named {config.run_name!r} already exists: choose another name")

    @classmethod
    def slot(cls, owner: str) -> str:
        """Fine-tuning jobs live under `finetune_slot(owner)`, beside the owner's pretraining job."""
        return finetune_slot(owner)

    # ---------------------------------------------------------------- control (any thread)
    def view(self) -> FinetuneView:
        with self._lock:
            return FinetuneView(
                self.config.run_name,
                self.run_path,
                self.config.task,
                self._status,
                self._message,
                self._max_steps,
                self._step,
                self._per_epoch,
                tuple(self._metrics),
                tuple(self._evals),
                self._labels,
                dict(self._data_info),
                self._confusion,
                self._worst,
                self._started_at,
                self._models is not None,
                self._eval_every,
            )

    def models(self) -> FinetunedModels | None:
        """The starting and fine-tuned models once the run has ended (None before, or after a failure)."""
        with self._lock:
            return self._models

    # ---------------------------------------------------------------- the worker thread
    def _work(self, run_dir: RunDirectory) -> None:
        started = time.perf_counter()
        prepared, trainer, start_model = self._prepare(run_dir)
        if self._stop.is_set():
            trainer.stop_event.set()
        self._set("stopping" if self._stop.is_set() else "running", "training")
        for _ in trainer:
            pass
        self._finish(prepared, trainer, start_model)
        status = trainer.status
        run_dir.update_info(
            status=status,
            steps=trainer.global_step,
            final_eval=trainer.last_eval,
            wall_time_s=round(time.perf_counter() - started, 1),
            device=str(trainer.device),
            final_metrics=self._metrics[-1] if self._metrics else {},
        )
        message = {
            "finished": f"finished {trainer.global_step} steps",
            "stopped": f"stopped at step {trainer.global_step}",
        }.get(status, status)
        self._set(status, f"{message} in {time.perf_counter() - started:.0f} s")

    def _prepare(self, run_dir: RunDirectory) -> tuple[PreparedFinetuning, Trainer, torch.nn.Module]:
        config = self.config
        prepared = prepare_finetuning(
            config.task, config.init, config.data, progress=lambda m: self._set(message=m), **config.options
        )
        prepared = subsample(prepared, config.max_train_examples, config.max_dev_examples)
        per_epoch = prepared.steps_per_epoch
        args = finetune_arguments(
            prepared,
            epochs=config.epochs,
            learning_rate=config.learning_rate,
            precision=config.precision,
            freeze_encoder_steps=config.freeze_encoder_steps,
            eval_every=max(1, per_epoch // max(1, config.evals_per_epoch)),
        )
        start_model = copy.deepcopy(prepared.model).eval()  # "before": pretrained encoder, untrained head
        self._set(message="building the trainer")
        trainer = make_finetune_trainer(prepared, args, run_dir, stop_event=self._stop)
        run_dir.update_info(
            name=config.run_name,
            owner=self.owner,
            corpus_label=config.data_label or config.data,
            status="running",
            max_train_examples=config.max_train_examples,
            max_dev_examples=config.max_dev_examples,
        )
        with self._lock:
            self._labels = tuple(getattr(prepared.data, "labels", None) or ())
            self._data_info = dict(prepared.data_info)
            self._max_steps, self._per_epoch, self._eval_every = args.max_steps, per_epoch, args.eval_every
        trainer.add_callback("on_step_end", self._record_step)
        trainer.add_callback(
            "on_evaluate", lambda t, m: self._on_evaluate(prepared, dict(m, eval_time=t.last_eval_time))
        )
        self._set(message="scoring the untrained model on the dev set (the 'before')")
        before = trainer.evaluate()
        run_dir.update_info(eval_before=before)
        return prepared, trainer, start_model

    def _on_evaluate(self, prepared: PreparedFinetuning, metrics: dict[str, float]) -> None:
        """Record the evaluation with its confusion matrix and worst errors (in the training thread)."""
        task = prepared.task
        record = dict(metrics)
        confusion, worst = None, ()
        if isinstance(task, ClassificationTask) and task.last_predictions is not None:
            confusion = tuple(tuple(row) for row in task.confusion())
            worst = tuple(worst_misclassified(task.dev, task.last_predictions, list(self._labels), k=WORST_K))
        elif isinstance(task, QuestionAnsweringTask) and task.last_predictions:
            worst = tuple(qa_errors(task))
        with self._lock:
            self._evals.append(record)
            self._confusion, self._worst = confusion, worst

    def _finish(self, prepared: PreparedFinetuning, trainer: Trainer, start_model: torch.nn.Module) -> None:
        task = prepared.task
        if isinstance(task, ClassificationTask):
            texts = tuple(e.text for e in task.dev)
            labels, contexts = tuple(self._labels[e.label] for e in task.dev), ()
        else:
            texts, labels, contexts = tuple(e.question for e in task.dev), (), tuple(e.context for e in task.dev)
        models = FinetunedModels(
            start_model,
            trainer.model.eval(),
            prepared.tokenizer,
            int(prepared.spec.max_seq_length),
            texts,
            labels,
            contexts,
            int(prepared.spec.doc_stride),
            f"{self.run_path}:{trainer.global_step}:{id(trainer.model)}",
        )
        with self._lock:
            self._models = models
            self._step = trainer.global_step
