"""From (task, starting point, data) to a ready fine-tuning `Trainer`: the recipe shared by the CLI and the app.

Starting points (`init`):
- `builtin:minilm`: the packaged pretrained MiniLM encoder (6 layers × 384, uncased vocabulary);
- a run or model directory (a pretraining run, or an earlier fine-tuning run: a head of another shape
  is re-initialised);
- `random`: MiniLM's config and vocabulary with random weights, to show what pretraining buys;
- `hub:NAME` (e.g. `hub:bert-base-uncased`): downloaded from the Hugging Face Hub, online only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..checkpoint import RunDirectory
from ..model import BertPreTrainedModel
from ..tokenizer.encoding import Tokenizer
from ..training import Trainer, TrainingArguments
from .classification import ClassificationTask
from .data.sentiment import SentimentData
from .data.squad import QAData
from .question_answering import QuestionAnsweringTask
from .recipe import default_freeze_layers
from .registry import TASKS, get_task
from .start import freeze_bottom, load_start_model
from .task import FinetuneTask

__all__ = [
    "TASKS",
    "FinetuneSpec",
    "PreparedFinetuning",
    "prepare_finetuning",
    "finetune_arguments",
    "resume_finetuning",
    "make_finetune_trainer",
    "dev_class_counts",
]


@dataclass
class FinetuneSpec:
    """Everything the CLI flags and the app's form set (optimisation lives in `TrainingArguments`)."""

    task: str = "sentiment"  # sentiment | qa
    init: str = "builtin:minilm"  # builtin:minilm | random | hub:NAME | a run/model directory
    data: str = "builtin:rotten_tomatoes"  # builtin:rotten_tomatoes | builtin:pang_lee | builtin:qa | builtin:cloze
    # | builtin:cloze-news | hub:squad | a .csv/.tsv/.jsonl (sentiment) or SQuAD .json (qa) file
    text_column: str | None = None  # sentiment uploads: guessed from common names when None
    label_column: str | None = None
    max_seq_length: int | None = None  # None: 128 for sentiment, 384 for QA
    doc_stride: int = 128  # QA: overlap of consecutive context windows, in tokens
    max_query_length: int = 64  # QA: question tokens kept
    max_answer_length: int = 30  # QA decoding: longest answer in tokens
    n_best: int = 20  # QA decoding: candidates per window
    batch_size: int | None = None  # None: the task's recipe (32 sentiment, 16 QA; see finetuning.recipe)
    eval_batch_size: int = 64
    dev_fraction: float = 0.1  # held out from a file (built-in QA has its own split)
    cloze_questions: int = 2000  # questions generated for builtin:cloze
    dropout: float | None = None  # None: the starting point's own
    freeze_layers: int | None = None  # keep the embeddings and the first N layers fixed; None: the recipe's
    # share of the model's layers (set when the model is loaded)
    seed: int = 0

    def __post_init__(self) -> None:
        kind = get_task(self.task)  # raises on an unknown task
        if self.max_seq_length is None:
            self.max_seq_length = kind.default_max_seq_length
        if self.batch_size is None:
            self.batch_size = kind.recipe.batch_size
        if not 8 <= self.max_seq_length <= 512:
            raise ValueError(f"max_seq_length must be between 8 and 512, got {self.max_seq_length}")
        if self.batch_size < 1 or self.eval_batch_size < 1:
            raise ValueError(f"batch sizes must be at least 1, got {self.batch_size} and {self.eval_batch_size}")
        if not 0.0 <= self.dev_fraction < 1.0:
            raise ValueError(f"dev_fraction must be in [0, 1), got {self.dev_fraction}")
        if self.freeze_layers is not None and self.freeze_layers < 0:
            raise ValueError(f"freeze_layers must be >= 0, got {self.freeze_layers}")


@dataclass
class PreparedFinetuning:
    """A fine-tuning run set up: its settings, model with a fresh head, tokenizer, training task and data."""

    spec: FinetuneSpec
    model: BertPreTrainedModel
    tokenizer: Tokenizer
    task: ClassificationTask | QuestionAnsweringTask
    data: SentimentData | QAData
    init_source: str  # the directory the weights came from ("" for random)
    data_info: dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps per pass over the training set."""
        return self.task.steps_per_epoch

    @property
    def finetune_task(self) -> FinetuneTask:
        """The task object of `spec.task` (`task` is the training task the `Trainer` drives)."""
        return get_task(self.spec.task)


def prepare_finetuning(
    task: str = "sentiment",
    init: str = "builtin:minilm",
    data: str = "builtin:rotten_tomatoes",
    *,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> PreparedFinetuning:
    """Load the data, the starting model (with a fresh head) and its tokenizer, and build the task.

    Args:
        task, init, data: see `FinetuneSpec`.
        progress: called with one-line status messages.
        **options: any other `FinetuneSpec` field.

    Raises:
        CorpusError: bad or unreadable data (a ValueError); ValueError: bad settings or Hub offline;
        FileNotFoundError: an init directory that is not a model.
    """
    spec = FinetuneSpec(task=task, init=init, data=data, **options)
    kind = get_task(spec.task)
    settings = asdict(spec)
    say = progress or (lambda message: None)
    say(f"loading {spec.data}")
    dataset = kind.load_data(spec.data, settings)
    model, tokenizer, source = load_start_model(
        kind.model_class, spec.init, head=kind.head_config(dataset), dropout=spec.dropout, seed=spec.seed
    )
    if spec.freeze_layers is None:
        spec.freeze_layers = default_freeze_layers(spec.task, spec.init, model.config.num_hidden_layers)
    freeze_bottom(model, spec.freeze_layers)
    assert spec.max_seq_length is not None  # __post_init__ filled it in
    if spec.max_seq_length > model.config.max_position_embeddings:
        raise ValueError(
            f"max_seq_length {spec.max_seq_length} exceeds the model's {model.config.max_position_embeddings} positions"
        )
    say(f"encoding {len(dataset.train):,} training and {len(dataset.dev):,} dev examples")
    built = kind.make_train_task(dataset.train, dataset.dev, tokenizer, dataset, settings)
    info = dict(dataset.stats(), dev_class_counts=dev_class_counts(built, getattr(dataset, "labels", None)))
    return PreparedFinetuning(spec, model, tokenizer, built, dataset, source, info)


def dev_class_counts(task: ClassificationTask | QuestionAnsweringTask, labels: list[str] | None) -> dict[str, int]:
    """How many dev examples each class has (classification; {} for QA): the majority-class baseline
    of the dev accuracy is the largest count over their sum."""
    if not isinstance(task, ClassificationTask) or not labels:
        return {}
    counts = dict.fromkeys(labels, 0)
    for example in task.dev:
        counts[labels[example.label]] += 1
    return counts


def finetune_arguments(
    prepared: PreparedFinetuning,
    *,
    epochs: float | None = None,
    learning_rate: float | None = None,
    warmup_ratio: float | None = None,
    max_steps: int | None = None,
    max_evals: int = 5,
    **kwargs: Any,
) -> TrainingArguments:
    """TrainingArguments for `epochs` passes (or `max_steps`), evaluating and saving after every epoch,
    or every few epochs so that a run evaluates at most `max_evals` times (plus the end).

    Settings left None come from the task's recipe (`finetuning.recipe`): QA fits its epochs to the
    number of training windows. `**kwargs` go to TrainingArguments (precision, device, weight_decay, ...).
    """
    kind = get_task(prepared.spec.task)
    recipe = kind.recipe
    per_epoch = prepared.steps_per_epoch
    if epochs is None:
        epochs = kind.fit_epochs(kind.train_windows(prepared.task))  # QA: a long context gives several windows
    steps = max_steps or max(1, round(epochs * per_epoch))
    every = max(per_epoch, per_epoch * math.ceil(steps / (per_epoch * max(1, max_evals))))  # whole epochs
    kwargs.setdefault("eval_every", every)
    kwargs.setdefault("save_every", every)
    warmup = recipe.warmup_ratio if warmup_ratio is None else warmup_ratio
    return TrainingArguments(
        max_steps=steps,
        learning_rate=recipe.learning_rate if learning_rate is None else learning_rate,
        warmup_steps=int(warmup * steps),
        seed=prepared.spec.seed,
        **kwargs,
    )


def resume_finetuning(
    run_dir: RunDirectory,
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[PreparedFinetuning, TrainingArguments]:
    """The task and arguments of a saved fine-tuning run, its model and tokenizer from the latest checkpoint:
    pass both to `make_finetune_trainer(..., resume=True)` to continue where the run stopped.

    Raises:
        ValueError: `run_dir` holds no fine-tuning run written by bert_core, or no checkpoint.
    """
    info = run_dir.read_info()
    if info.get("kind") != "finetuning" or "spec" not in info or "args" not in info:
        raise ValueError(f"{run_dir.path} holds no fine-tuning run to resume (no fine-tuning run.json)")
    checkpoint = run_dir.latest_checkpoint()
    if checkpoint is None:
        raise ValueError(f"{run_dir.path} has no checkpoint to resume from")
    spec = dict(info["spec"])
    task, data = spec.pop("task"), spec.pop("data")
    original_init = spec.pop("init")
    prepared = prepare_finetuning(task, str(checkpoint), data, progress=progress, **spec)  # head included
    prepared.spec.init = original_init
    return prepared, TrainingArguments(**info["args"])


def make_finetune_trainer(
    prepared: PreparedFinetuning,
    args: TrainingArguments,
    run_dir: RunDirectory | None = None,
    resume: bool = False,
    **kwargs: Any,
) -> Trainer:
    """A Trainer for the prepared task; with a run directory, run.json describes the run. `resume`
    (with `resume_finetuning`'s model) continues the run directory's latest checkpoint: step, optimizer."""
    trainer = Trainer(prepared.model, prepared.task, args, run_dir=run_dir, tokenizer=prepared.tokenizer, **kwargs)
    if resume:
        trainer.resume()
    elif run_dir is not None and trainer.dist.is_main:
        config = prepared.model.config
        run_dir.update_info(
            kind="finetuning",
            task=prepared.spec.task,
            init=prepared.spec.init,
            init_source=prepared.init_source,
            data=prepared.spec.data,
            created_at=time.time(),
            data_info=prepared.data_info,
            labels=getattr(prepared.data, "labels", None),
            spec=asdict(prepared.spec),
            args=asdict(args),
            steps_per_epoch=prepared.steps_per_epoch,
            model={
                "layers": config.num_hidden_layers,
                "hidden": config.hidden_size,
                "heads": config.num_attention_heads,
                "parameters": prepared.model.num_parameters(),
            },
        )
    return trainer
