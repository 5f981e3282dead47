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
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from .assets import minilm_dir
from .checkpoint import RunDirectory, resolve_model_dir
from .config import BertConfig
from .data.sentiment import SentimentData, load_sentiment
from .data.squad import QAData, load_qa
from .finetune_recipe import RECIPES, default_freeze_layers, fit_epochs
from .finetune_tasks import ClassificationTask, QuestionAnsweringTask
from .model import BertForQuestionAnswering, BertForSequenceClassification, BertPreTrainedModel
from .tokenizer import Tokenizer
from .training import Trainer, TrainingArguments

__all__ = [
    "TASKS",
    "FinetuneSpec",
    "PreparedFinetuning",
    "resolve_init",
    "load_start_model",
    "freeze_bottom",
    "prepare_finetuning",
    "finetune_arguments",
    "make_finetune_trainer",
    "evaluate_model",
    "dev_class_counts",
]

TASKS = ("sentiment", "qa")
_HUB_FILES = ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json"]


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
    batch_size: int | None = None  # None: the task's recipe (32 sentiment, 16 QA; see finetune_recipe)
    eval_batch_size: int = 64
    dev_fraction: float = 0.1  # held out from a file (built-in QA has its own split)
    cloze_questions: int = 2000  # questions generated for builtin:cloze
    dropout: float | None = None  # None: the starting point's own
    freeze_layers: int | None = None  # keep the embeddings and the first N layers fixed; None: the recipe's
    # share of the model's layers (set when the model is loaded)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.max_seq_length is None:
            self.max_seq_length = 128 if self.task == "sentiment" else 384
        if self.batch_size is None:
            self.batch_size = RECIPES[self.task].batch_size
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
    spec: FinetuneSpec
    model: BertPreTrainedModel
    tokenizer: Tokenizer
    task: ClassificationTask | QuestionAnsweringTask
    data: SentimentData | QAData
    init_source: str  # the directory the weights came from ("" for random)
    data_info: dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_epoch(self) -> int:
        return self.task.steps_per_epoch


def _hub_download(name: str) -> Path:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ValueError(f"cannot download {name!r} from the Hugging Face Hub: offline mode (HF_HUB_OFFLINE=1)")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, allow_patterns=_HUB_FILES))
    except Exception as err:  # noqa: BLE001 - offline, unknown name, no safetensors: one message for a user
        raise ValueError(
            f"cannot download {name!r} from the Hugging Face Hub; are you offline? "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None


def resolve_init(init: str) -> Path | None:
    """The model directory of a starting point; None for `random` (which uses MiniLM's config and vocabulary).

    Raises:
        FileNotFoundError: a directory that is neither a model nor a run; ValueError: Hub offline.
    """
    if init == "random":
        return None
    if init == "builtin:minilm":
        return minilm_dir()
    if init.startswith("hub:"):
        return _hub_download(init.removeprefix("hub:"))
    return resolve_model_dir(init)


def load_start_model(
    task: str,
    init: str,
    *,
    num_labels: int = 2,
    id2label: dict[int, str] | None = None,
    dropout: float | None = None,
    seed: int = 0,
) -> tuple[BertPreTrainedModel, Tokenizer, str]:
    """(model with a fresh task head, its tokenizer, source directory or "") for a starting point."""
    source = resolve_init(init)
    cls = BertForSequenceClassification if task == "sentiment" else BertForQuestionAnswering
    overrides: dict[str, Any] = {}
    if task == "sentiment":
        overrides.update(num_labels=num_labels, id2label=id2label)
    if dropout is not None:
        overrides.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    torch.manual_seed(seed)  # the fresh head (and a random encoder) start the same for the same seed
    if source is None:
        config = BertConfig.from_json(minilm_dir())
        config = BertConfig.from_dict({**config.to_dict(), **overrides})
        return cls(config), Tokenizer.from_pretrained(minilm_dir()), ""
    model = cls.from_pretrained(source, ignore_mismatched_sizes=True, **overrides)
    return model, Tokenizer.from_pretrained(source), str(source)


def freeze_bottom(model: BertPreTrainedModel, layers: int) -> None:
    """Keep the embeddings and the first `layers` transformer layers fixed (no gradient, no update).

    Nothing below layer `layers` then needs a gradient, so backward stops there: a step costs their
    forward only, and AdamW skips their parameters (the word embeddings alone are half of MiniLM's).

    Raises:
        ValueError: `layers` is more than the model has.
    """
    encoder_layers = model.bert.encoder.layer
    if not 0 <= layers <= len(encoder_layers):
        raise ValueError(f"freeze_layers must be between 0 and {len(encoder_layers)}, got {layers}")
    if layers == 0:
        return
    for module in [model.bert.embeddings, *encoder_layers[:layers]]:
        module.requires_grad_(False)


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
    say = progress or (lambda message: None)
    say(f"loading {spec.data}")
    if spec.task == "sentiment":
        dataset: SentimentData | QAData = load_sentiment(
            spec.data,
            text_column=spec.text_column,
            label_column=spec.label_column,
            dev_fraction=spec.dev_fraction,
            seed=spec.seed,
        )
        model, tokenizer, source = load_start_model(
            "sentiment",
            spec.init,
            num_labels=dataset.num_labels,
            id2label=dataset.id2label,
            dropout=spec.dropout,
            seed=spec.seed,
        )
    else:
        dataset = load_qa(
            spec.data, dev_fraction=spec.dev_fraction, seed=spec.seed, cloze_questions=spec.cloze_questions
        )
        model, tokenizer, source = load_start_model("qa", spec.init, dropout=spec.dropout, seed=spec.seed)
    if spec.freeze_layers is None:
        spec.freeze_layers = default_freeze_layers(spec.task, spec.init, model.config.num_hidden_layers)
    freeze_bottom(model, spec.freeze_layers)
    if spec.max_seq_length > model.config.max_position_embeddings:
        raise ValueError(
            f"max_seq_length {spec.max_seq_length} exceeds the model's {model.config.max_position_embeddings} positions"
        )
    say(f"encoding {len(dataset.train):,} training and {len(dataset.dev):,} dev examples")
    if spec.task == "sentiment":
        built: ClassificationTask | QuestionAnsweringTask = ClassificationTask(
            dataset.train,
            tokenizer,
            num_labels=dataset.num_labels,
            dev=dataset.dev,
            batch_size=spec.batch_size,
            max_seq_length=spec.max_seq_length,
            seed=spec.seed,
            eval_batch_size=spec.eval_batch_size,
        )
    else:
        built = QuestionAnsweringTask(
            dataset.train,
            tokenizer,
            dev=dataset.dev,
            batch_size=spec.batch_size,
            max_seq_length=spec.max_seq_length,
            doc_stride=spec.doc_stride,
            max_query_length=spec.max_query_length,
            seed=spec.seed,
            eval_batch_size=spec.eval_batch_size,
            n_best=spec.n_best,
            max_answer_length=spec.max_answer_length,
            allow_no_answer=dataset.version_2,
        )
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

    Settings left None come from the task's recipe (`finetune_recipe`): QA fits its epochs to the
    number of training windows. `**kwargs` go to TrainingArguments (precision, device, weight_decay, ...).
    """
    recipe = RECIPES[prepared.spec.task]
    per_epoch = prepared.steps_per_epoch
    if epochs is None:
        windows = getattr(prepared.task, "features", prepared.task.train)  # QA: a long context gives several
        epochs = fit_epochs(prepared.spec.task, len(windows))
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


def evaluate_model(
    task: str,
    model_dir: str | Path,
    data: str,
    *,
    split: str = "dev",
    max_seq_length: int | None = None,
    batch_size: int = 64,
    text_column: str | None = None,
    label_column: str | None = None,
) -> dict[str, Any]:
    """Metrics of a fine-tuned model (run or model directory) on a data set.

    A built-in set is scored on its `split` (dev by default); a file is scored whole. Classification
    adds the confusion matrix and label names; QA adds nothing beyond EM/F1 (fractions) and loss.
    Settings not given are read from the run's run.json when there is one.

    Raises:
        CorpusError / ValueError: bad data, labels unknown to the model; FileNotFoundError: no model.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    source = resolve_model_dir(model_dir)
    runs = [p for p in (Path(model_dir), source.parent) if (p / "run.json").is_file()]
    saved = RunDirectory(runs[0]).read_info().get("spec", {}) if runs else {}
    seq = max_seq_length or saved.get("max_seq_length") or (128 if task == "sentiment" else 384)
    is_file = not data.startswith(("builtin:", "hub:"))
    tokenizer = Tokenizer.from_pretrained(source)
    model: BertPreTrainedModel
    if task == "sentiment":
        model = BertForSequenceClassification.from_pretrained(source)
        names = [(model.config.id2label or {}).get(i, str(i)) for i in range(model.config.num_labels)]
        dataset = load_sentiment(
            data,
            dev_fraction=0.0 if is_file else saved.get("dev_fraction", 0.1),
            seed=saved.get("seed", 0),
            labels=names,
            text_column=text_column,
            label_column=label_column,
        )
        examples = dataset.train if is_file else (dataset.dev if split == "dev" else dataset.train)
        evaluator: ClassificationTask | QuestionAnsweringTask = ClassificationTask(
            [], tokenizer, num_labels=len(names), dev=examples, max_seq_length=seq, eval_batch_size=batch_size
        )
    else:
        model = BertForQuestionAnswering.from_pretrained(source)
        qa = load_qa(
            data,
            dev_fraction=0.0 if is_file else saved.get("dev_fraction", 0.1),
            seed=saved.get("seed", 0),
            cloze_questions=saved.get("cloze_questions", 2000),
        )
        examples = qa.train if is_file else (qa.dev if split == "dev" else qa.train)
        evaluator = QuestionAnsweringTask(
            [],
            tokenizer,
            dev=examples,
            max_seq_length=seq,
            doc_stride=saved.get("doc_stride", 128),
            max_query_length=saved.get("max_query_length", 64),
            eval_batch_size=batch_size,
            n_best=saved.get("n_best", 20),
            max_answer_length=saved.get("max_answer_length", 30),
            allow_no_answer=qa.version_2,
        )
    if not examples:
        raise ValueError(f"no {split} examples in {data}")
    model.eval()
    with torch.inference_mode():
        metrics: dict[str, Any] = evaluator.evaluate(model)
    metrics["examples"] = len(examples)
    if isinstance(evaluator, ClassificationTask):
        metrics["labels"] = names
        metrics["confusion_matrix"] = evaluator.confusion()
    return {"task": task, "model": str(source), "data": data, "split": "all" if is_file else split, **metrics}
