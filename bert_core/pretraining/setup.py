"""From a corpus name to a ready `Trainer`: the pretraining recipe shared by the CLI and the app."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..assets import minilm_dir
from ..checkpoint import RunDirectory, resolve_model_dir
from ..config import BertConfig
from ..data import Corpus, resolve_corpus
from ..device import pick_device
from ..memory import run_refusal
from ..model import BertForPreTraining
from ..tokenizer.encoding import Tokenizer
from ..training import Trainer, TrainingArguments
from .cache import corpus_hash, tokenize_cached, trained_vocab_cached
from .dataset import PretrainingDataset
from .instances import TokenizedDoc
from .task import PretrainingTask

BUILTIN_MINILM = "builtin:minilm"
MINILM_VOCAB_SIZE = 30522  # the stock uncased vocabulary


@dataclass
class PretrainSpec:
    """What to pretrain on and what to build; everything the CLI flags and the app's form set."""

    corpus: str = "builtin:lee"  # builtin:lee | builtin:news | builtin:wiki | a file path
    text_column: str | None = None  # for .csv/.jsonl corpora
    preset: str = "mini"  # tiny | mini | small | medium | base (ignored with `init`)
    num_hidden_layers: int | None = None  # custom sizes override the preset
    hidden_size: int | None = None
    num_attention_heads: int | None = None
    dropout: float = 0.1
    init: str | None = None  # None: random weights; a run/model directory or builtin:minilm
    vocab: str = "stock"  # stock (MiniLM's uncased 30,522) | train (WordPiece trained on the corpus)
    vocab_size: int = 8000  # size of a trained vocabulary
    max_seq_length: int = 128
    whole_word_masking: bool = False
    mlm_probability: float = 0.15  # share of each sequence's tokens masked for the MLM task
    max_predictions: int = 20
    eval_fraction: float = 0.05  # documents held out for evaluation (seeded split)
    batch_size: int = 32
    seed: int = 0
    cache_dir: str | None = None  # tokenised-corpus cache; None: the default, "": off
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.vocab not in ("stock", "train"):
            raise ValueError(f"vocab must be 'stock' or 'train', got {self.vocab!r}")
        if not 0.0 <= self.eval_fraction < 0.5:
            raise ValueError(f"eval_fraction must be in [0, 0.5), got {self.eval_fraction}")
        if not 16 <= self.max_seq_length <= 512:
            raise ValueError(f"max_seq_length must be between 16 and 512, got {self.max_seq_length}")
        if not 0.0 < self.mlm_probability < 1.0:
            raise ValueError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")


@dataclass
class PreparedPretraining:
    spec: PretrainSpec
    corpus: Corpus
    tokenizer: Tokenizer
    model: BertForPreTraining
    task: PretrainingTask
    data_hash: str
    train_docs: int
    eval_docs: int


def split_documents(
    docs: list[TokenizedDoc], fraction: float, seed: int
) -> tuple[list[TokenizedDoc], list[TokenizedDoc]]:
    """A seeded (train, held-out) split of whole documents; at least 2 stay in training."""
    n_eval = int(len(docs) * fraction)
    if n_eval == 0 or len(docs) - n_eval < 2:
        return docs, []
    perm = torch.randperm(len(docs), generator=torch.Generator().manual_seed(seed)).tolist()
    held = set(perm[:n_eval])
    return [d for i, d in enumerate(docs) if i not in held], [d for i, d in enumerate(docs) if i in held]


def _init_source(spec: PretrainSpec) -> Path | None:
    if spec.init is None:
        return None
    return minilm_dir() if spec.init == BUILTIN_MINILM else resolve_model_dir(spec.init)


def build_config(spec: PretrainSpec, vocab_size: int) -> BertConfig:
    """The model config from the preset and any custom sizes."""
    overrides: dict[str, Any] = {
        k: v for k in ("num_hidden_layers", "hidden_size", "num_attention_heads") if (v := getattr(spec, k)) is not None
    }
    if "hidden_size" in overrides:
        overrides["intermediate_size"] = 4 * overrides["hidden_size"]
    return BertConfig.from_preset(
        spec.preset,
        vocab_size=vocab_size,
        hidden_dropout_prob=spec.dropout,
        attention_probs_dropout_prob=spec.dropout,
        max_position_embeddings=max(512, spec.max_seq_length),
        **overrides,
    )


def memory_refusal(spec: PretrainSpec, device: str = "auto") -> str | None:
    """Why a run of `spec` cannot fit in the memory left (the estimate in the message), or None when it fits.

    The model's size comes from the preset or custom sizes with `vocab_size` pieces (a trained vocabulary
    is at most that), or from the `init` model's config.json.
    """
    source = _init_source(spec)
    if source is not None:
        config = BertConfig.from_json(source / "config.json")
    else:
        config = build_config(spec, MINILM_VOCAB_SIZE if spec.vocab == "stock" else spec.vocab_size)
    return run_refusal(
        config,
        pick_device(device),
        task="pretrain",
        batch_size=spec.batch_size,
        seq_len=spec.max_seq_length,
        max_predictions=spec.max_predictions,
    )


def prepare_pretraining(spec: PretrainSpec, progress: Callable[[str], None] | None = None) -> PreparedPretraining:
    """Read and tokenise the corpus, pick or train the vocabulary, build the model and the task.

    Raises:
        CorpusError: the corpus is missing, empty, binary or undecodable.
        ValueError: a setting is invalid (e.g. a custom size that does not validate).
    """
    say = progress or (lambda message: None)
    say(f"reading {spec.corpus}")
    corpus = (
        resolve_corpus(spec.corpus)
        if spec.text_column is None
        else resolve_corpus(spec.corpus, text_column=spec.text_column)
    )
    source = _init_source(spec)
    if source is not None:
        tokenizer = Tokenizer.from_pretrained(source)
    elif spec.vocab == "train":
        say(f"training a {spec.vocab_size}-token WordPiece vocabulary")
        tokenizer = Tokenizer.from_vocab(trained_vocab_cached(corpus.documents, spec.vocab_size, spec.cache_dir))
    else:
        tokenizer = Tokenizer.from_pretrained(minilm_dir())
    say(f"tokenising {corpus.num_documents:,} documents")
    docs = tokenize_cached(corpus.documents, tokenizer, spec.cache_dir)
    train_docs, eval_docs = split_documents(docs, spec.eval_fraction, spec.seed)
    make_dataset = functools.partial(
        PretrainingDataset,
        max_seq_length=spec.max_seq_length,
        vocab_size=tokenizer.vocab_size,
        cls_id=tokenizer.cls_token_id,
        sep_id=tokenizer.sep_token_id,
        pad_id=tokenizer.pad_token_id,
        mask_id=tokenizer.mask_token_id,
        mlm_probability=spec.mlm_probability,
        max_predictions=spec.max_predictions,
        whole_word_masking=spec.whole_word_masking,
        random_token_low=_first_ordinary_id(tokenizer),
    )
    train_set = make_dataset(train_docs, seed=spec.seed)
    eval_set = make_dataset(eval_docs, seed=spec.seed + 1) if len(eval_docs) >= 2 else None
    if source is not None:
        model = BertForPreTraining.from_pretrained(
            source, hidden_dropout_prob=spec.dropout, attention_probs_dropout_prob=spec.dropout
        )
    else:
        torch.manual_seed(spec.seed)
        model = BertForPreTraining(build_config(spec, tokenizer.vocab_size))
    task = PretrainingTask(train_set, spec.batch_size, eval_dataset=eval_set)
    return PreparedPretraining(
        spec, corpus, tokenizer, model, task, corpus_hash(corpus.documents), len(train_docs), len(eval_docs)
    )


def _first_ordinary_id(tokenizer: Tokenizer) -> int:
    """Random replacement tokens are drawn from above the leading block of bracketed tokens
    ([PAD], [unused0]… in Google's vocabulary), so a "random word" is a real word piece."""
    tokens = tokenizer.convert_ids_to_tokens(range(min(tokenizer.vocab_size, 2000)))
    low = 0
    while low < len(tokens) - 1 and (
        low in tokenizer.special_ids or (tokens[low].startswith("[") and tokens[low].endswith("]"))
    ):
        low += 1
    return low


def make_trainer(
    prepared: PreparedPretraining, args: TrainingArguments, run_dir: RunDirectory, resume: bool = False, **kwargs: Any
) -> Trainer:
    """A Trainer writing into `run_dir`, with run.json filled in; `resume` continues its latest checkpoint."""
    model = prepared.model
    if resume:
        model = BertForPreTraining.from_pretrained(run_dir.path)
    trainer = Trainer(model, prepared.task, args, run_dir=run_dir, tokenizer=prepared.tokenizer, **kwargs)
    if resume:
        trainer.resume()
    elif trainer.dist.is_main:
        config = prepared.model.config
        run_dir.update_info(
            kind="pretraining",
            created_at=time.time(),
            corpus=prepared.spec.corpus,
            data_hash=prepared.data_hash,
            corpus_stats=prepared.corpus.stats(),
            train_documents=prepared.train_docs,
            eval_documents=prepared.eval_docs,
            spec=asdict(prepared.spec),
            args=asdict(args),
            model={
                "layers": config.num_hidden_layers,
                "hidden": config.hidden_size,
                "heads": config.num_attention_heads,
                "parameters": prepared.model.num_parameters(),
            },
        )
    return trainer


def record_baseline(trainer: Trainer, run_dir: RunDirectory) -> dict[str, float]:
    """Evaluate the untrained (or freshly loaded) model on the held-out documents and store it in run.json
    as `eval_before`, so the run can show "before → after". Returns {} without a held-out set."""
    metrics = trainer.evaluate()
    if metrics and trainer.dist.is_main:
        run_dir.update_info(eval_before=metrics)
    return metrics
