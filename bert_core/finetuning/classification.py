"""Fine-tuning tasks the engine drives: sequence classification and extractive QA.

Both follow `PretrainingTask`'s contract (see `training.TrainTask`): micro-batch `i` is a pure function
of (i, seed, rank, world size) (epoch = i // batches per epoch; each epoch reshuffles with its own
seed; batches are length-bucketed and padded to their own longest row), so a resumed run sees exactly
the batches it would have seen. `evaluate` scores the whole dev set and keeps its per-example
predictions on the task (`last_predictions`) for confusion matrices and worst-error tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .data.dataset import epoch_order
from .data.qa_features import QAFeature, make_features, predict_answers
from .data.sentiment import LabelledText
from .data.squad import QAExample
from .metrics import classification_metrics, confusion_matrix, squad_metrics
from .tokenizer import Tokenizer

__all__ = [
    "EpochBatches",
    "pad_batch",
    "classifier_logits",
    "collate_qa",
    "qa_forward",
    "ClassificationTask",
    "QuestionAnsweringTask",
    "worst_misclassified",
]


class EpochBatches:
    """Deterministic shuffled batches: epoch `e` permutes the rows with seed (seed, e), sorts chunks of
    50 batches by length (less padding) and shuffles the batch order; the permutation wraps round so
    every batch is full."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, *, bucket: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.lengths = torch.tensor(list(lengths), dtype=torch.long)
        self.batch_size, self.seed, self.bucket = batch_size, seed, bucket
        self._cache: tuple[tuple[int, int], Tensor] | None = None

    def num_batches(self, world_size: int = 1) -> int:
        if not len(self.lengths):
            raise ValueError("no training examples")
        return math.ceil(len(self.lengths) / (self.batch_size * world_size))

    def _order(self, epoch: int, world_size: int) -> Tensor:
        if self._cache is not None and self._cache[0] == (epoch, world_size):
            return self._cache[1]
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        self.num_batches(world_size)  # raises on an empty training set
        order = epoch_order(self.lengths, self.batch_size * world_size, gen, bucket=self.bucket)
        self._cache = ((epoch, world_size), order)
        return order

    def rows(self, micro_index: int, rank: int = 0, world_size: int = 1) -> tuple[int, list[int]]:
        """(epoch, row indices of this rank's share of global batch `micro_index`)."""
        epoch, index = divmod(micro_index, self.num_batches(world_size))
        order = self._order(epoch, world_size)
        return epoch, order[index, rank * self.batch_size : (rank + 1) * self.batch_size].tolist()


def pad_batch(ids: Sequence[Sequence[int]], types: Sequence[Sequence[int]] | None, pad_id: int) -> dict[str, Any]:
    """Right-pad to the longest row: input_ids, token_type_ids, attention_mask (B, T) and has_padding."""
    longest = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), longest), pad_id, dtype=torch.long)  # (B, T)
    token_types = torch.zeros_like(input_ids)
    attention = torch.zeros_like(input_ids)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.tensor(row)
        attention[i, : len(row)] = 1
        if types is not None:
            token_types[i, : len(row)] = torch.tensor(types[i])
    return {
        "input_ids": input_ids,
        "token_type_ids": token_types,
        "attention_mask": attention,
        "has_padding": any(len(x) < longest for x in ids),
    }


def _to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, Tensor) else v for k, v in batch.items()}


def _eval_order(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])  # similar lengths together: little padding
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]


def classifier_logits(model: nn.Module, ids: Sequence[Sequence[int]], pad_id: int, batch_size: int = 64) -> Tensor:
    """(N, num_labels) float logits of a sequence classifier for encoded texts, in order (CPU).

    Call under `torch.inference_mode()` with the model in eval mode.
    """
    device = next(model.parameters()).device
    out = torch.zeros(len(ids), model.config.num_labels)
    for rows in _eval_order([len(x) for x in ids], batch_size):
        batch = _to(pad_batch([ids[i] for i in rows], None, pad_id), device)
        logits = model(
            batch["input_ids"],
            attention_mask=batch["attention_mask"] if batch["has_padding"] else None,
            token_type_ids=batch["token_type_ids"],
        ).logits  # (b, C)
        out[rows] = logits.float().cpu()
    return out


def collate_qa(features: Sequence[QAFeature], pad_id: int) -> dict[str, Any]:
    """A padded batch of QA features with their start/end positions (B,)."""
    batch = pad_batch([f.input_ids for f in features], [f.token_type_ids for f in features], pad_id)
    batch["start_positions"] = torch.tensor([f.start_position for f in features])  # (B,)
    batch["end_positions"] = torch.tensor([f.end_position for f in features])  # (B,)
    return batch


def qa_forward(model: nn.Module, batch: dict[str, Any], with_loss: bool) -> Any:
    """`BertForQuestionAnswering` on a `collate_qa` batch (loss only `with_loss`)."""
    return model(
        batch["input_ids"],
        attention_mask=batch["attention_mask"] if batch["has_padding"] else None,
        token_type_ids=batch["token_type_ids"],
        start_positions=batch["start_positions"] if with_loss else None,
        end_positions=batch["end_positions"] if with_loss else None,
    )


class ClassificationTask:
    """Sequence classification (`BertForSequenceClassification`): metrics `cls_loss`, `cls_acc`.

    Args:
        train, dev: labelled texts (label ids in [0, num_labels)).
        tokenizer: encodes every text once, cut to `max_seq_length` tokens.
        num_labels: number of classes.
        batch_size: examples per micro-batch and rank; `eval_batch_size` for evaluation.
        seed: shuffling seed.
    """

    def __init__(
        self,
        train: Sequence[LabelledText],
        tokenizer: Tokenizer,
        *,
        num_labels: int,
        dev: Sequence[LabelledText] = (),
        batch_size: int = 32,
        max_seq_length: int = 128,
        seed: int = 0,
        eval_batch_size: int = 64,
    ) -> None:
        self.train, self.dev, self.num_labels = list(train), list(dev), num_labels
        self.tokenizer, self.max_seq_length, self.eval_batch_size = tokenizer, max_seq_length, eval_batch_size
        self._train_ids = self.encode([e.text for e in self.train])
        self._dev_ids = self.encode([e.text for e in self.dev])
        self.batches = EpochBatches([len(x) for x in self._train_ids], batch_size, seed)
        self.last_predictions: Tensor | None = None  # (N_dev, num_labels) probabilities from the last evaluate

    def encode(self, texts: list[str]) -> list[list[int]]:
        return [e.input_ids for e in self.tokenizer.encode_batch(texts, max_length=self.max_seq_length)]

    @property
    def steps_per_epoch(self) -> int:
        return self.batches.num_batches()

    def batch(self, micro_index: int, rank: int = 0, world_size: int = 1) -> dict[str, Any]:
        epoch, rows = self.batches.rows(micro_index, rank, world_size)
        batch = pad_batch([self._train_ids[i] for i in rows], None, self.tokenizer.pad_token_id)
        batch["labels"] = torch.tensor([self.train[i].label for i in rows])  # (B,)
        batch["epoch"] = epoch
        return batch

    def counts(self, batch: dict[str, Any]) -> dict[str, float]:
        return {"cls": float(batch["labels"].numel()), "tokens": float(batch["attention_mask"].sum())}

    def forward(self, model: nn.Module, batch: dict[str, Any]) -> dict[str, Tensor]:
        out = model(
            batch["input_ids"],
            attention_mask=batch["attention_mask"] if batch["has_padding"] else None,
            token_type_ids=batch["token_type_ids"],
            labels=batch["labels"],
        )
        labels = batch["labels"]
        return {"cls_loss": out.loss * labels.numel(), "cls_acc": (out.logits.argmax(-1) == labels).sum()}

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Dev loss, accuracy and macro precision/recall/F1 ({} without a dev set)."""
        if not self.dev:
            return {}
        logits = classifier_logits(model, self._dev_ids, self.tokenizer.pad_token_id, self.eval_batch_size)
        labels = torch.tensor([e.label for e in self.dev])
        self.last_predictions = logits.softmax(-1)
        metrics = classification_metrics(logits.argmax(-1).tolist(), labels.tolist(), self.num_labels)
        return {"loss": float(F.cross_entropy(logits, labels)), **metrics}

    def confusion(self) -> list[list[int]]:
        """Confusion matrix (rows: gold, columns: predicted) of the last evaluation."""
        if self.last_predictions is None:
            raise ValueError("evaluate first")
        return confusion_matrix(self.last_predictions.argmax(-1).tolist(), [e.label for e in self.dev], self.num_labels)


class QuestionAnsweringTask:
    """Extractive QA (`BertForQuestionAnswering`) over windowed features: metrics `qa_loss`, `qa_acc`
    (start and end both right); evaluation gives dev loss, exact match and F1."""

    def __init__(
        self,
        train: Sequence[QAExample],
        tokenizer: Tokenizer,
        *,
        dev: Sequence[QAExample] = (),
        batch_size: int = 16,
        max_seq_length: int = 384,
        doc_stride: int = 128,
        max_query_length: int = 64,
        seed: int = 0,
        eval_batch_size: int = 32,
        n_best: int = 20,
        max_answer_length: int = 30,
        allow_no_answer: bool = False,
    ) -> None:
        self.train, self.dev, self.tokenizer = list(train), list(dev), tokenizer
        windows = dict(max_seq_length=max_seq_length, doc_stride=doc_stride, max_query_length=max_query_length)
        self.features = make_features(self.train, tokenizer, **windows)
        self.dev_features = make_features(self.dev, tokenizer, **windows) if self.dev else []
        self.eval_batch_size, self.n_best, self.max_answer_length = eval_batch_size, n_best, max_answer_length
        self.allow_no_answer = allow_no_answer
        self.batches = EpochBatches([len(f) for f in self.features], batch_size, seed)
        self.last_predictions: dict[str, str] = {}  # question id → predicted text, from the last evaluate

    @property
    def steps_per_epoch(self) -> int:
        return self.batches.num_batches()

    def batch(self, micro_index: int, rank: int = 0, world_size: int = 1) -> dict[str, Any]:
        epoch, rows = self.batches.rows(micro_index, rank, world_size)
        batch = collate_qa([self.features[i] for i in rows], self.tokenizer.pad_token_id)
        batch["epoch"] = epoch
        return batch

    def counts(self, batch: dict[str, Any]) -> dict[str, float]:
        return {"qa": float(batch["start_positions"].numel()), "tokens": float(batch["attention_mask"].sum())}

    def forward(self, model: nn.Module, batch: dict[str, Any]) -> dict[str, Tensor]:
        out = qa_forward(model, batch, with_loss=True)
        mask = batch["attention_mask"].bool()  # padding can never be predicted
        start = out.start_logits.masked_fill(~mask, float("-inf")).argmax(-1)
        end = out.end_logits.masked_fill(~mask, float("-inf")).argmax(-1)
        n = batch["start_positions"].numel()
        right = (start == batch["start_positions"]) & (end == batch["end_positions"])
        return {"qa_loss": out.loss * n, "qa_acc": right.sum()}

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Dev loss (per window), exact match and F1 (per question, fractions) ({} without a dev set)."""
        if not self.dev:
            return {}
        device = next(model.parameters()).device
        starts: list[Tensor] = [torch.empty(0)] * len(self.dev_features)
        ends: list[Tensor] = [torch.empty(0)] * len(self.dev_features)
        loss_sum = 0.0
        for rows in _eval_order([len(f) for f in self.dev_features], self.eval_batch_size):
            batch = _to(collate_qa([self.dev_features[i] for i in rows], self.tokenizer.pad_token_id), device)
            out = qa_forward(model, batch, with_loss=True)
            loss_sum += float(out.loss) * len(rows)
            for j, i in enumerate(rows):
                starts[i], ends[i] = out.start_logits[j].float().cpu(), out.end_logits[j].float().cpu()
        self.last_predictions = predict_answers(
            self.dev,
            self.dev_features,
            starts,
            ends,
            n_best=self.n_best,
            max_answer_length=self.max_answer_length,
            allow_no_answer=self.allow_no_answer,
        )
        metrics = squad_metrics(self.last_predictions, {e.id: e.answer_texts for e in self.dev})
        metrics.pop("total", None)
        return {"loss": loss_sum / len(self.dev_features), **metrics}


def worst_misclassified(
    examples: Sequence[LabelledText], probabilities: Tensor, labels: Sequence[str], k: int = 10
) -> list[dict[str, Any]]:
    """The `k` wrong predictions the model was most sure of (lowest probability on the true class).

    Args:
        examples: the evaluated examples; `probabilities` (N, C) is their predicted distribution.
        labels: class names.

    Returns:
        Rows {"text", "label", "predicted", "confidence" (prob. of the predicted class), "label_prob"}.
    """
    predicted = probabilities.argmax(-1).tolist()
    wrong = [i for i, (e, p) in enumerate(zip(examples, predicted)) if p != e.label]
    wrong.sort(key=lambda i: float(probabilities[i, examples[i].label]))
    return [
        {
            "text": examples[i].text,
            "label": labels[examples[i].label],
            "predicted": labels[predicted[i]],
            "confidence": float(probabilities[i, predicted[i]]),
            "label_prob": float(probabilities[i, examples[i].label]),
        }
        for i in wrong[:k]
    ]
