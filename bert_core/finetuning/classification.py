"""Sequence classification as a training task the engine drives (`ClassificationTask`), and its dev-set views.

This and `question_answering.QuestionAnsweringTask` follow `PretrainingTask`'s contract (see
`training.TrainTask`): micro-batch `i` is a pure function of (i, seed, rank, world size) (epoch = i // batches
per epoch; each epoch reshuffles with its own seed; batches are length-bucketed and padded to their own longest
row), so a resumed run sees exactly the batches it would have seen. `evaluate` scores the whole dev set and keeps
its per-example predictions on the task (`last_predictions`) for confusion matrices and worst-error tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..batching import model_device, model_inputs, pad_batch, to_device
from ..config import BertConfig
from ..metrics import classification_metrics, confusion_matrix
from ..tokenizer import Tokenizer
from .batches import EpochBatches, eval_order
from .data.sentiment import LabelledText

__all__ = ["ClassificationTask", "classifier_logits", "worst_misclassified"]


def model_config(model: nn.Module) -> BertConfig:
    """`model.config`, the `BertConfig` every model of this library carries."""
    config = model.config
    assert isinstance(config, BertConfig)  # nn.Module's attributes are typed `Tensor | Module`
    return config


def classifier_logits(model: nn.Module, ids: Sequence[Sequence[int]], pad_id: int, batch_size: int = 64) -> Tensor:
    """(N, num_labels) float logits of a sequence classifier for encoded texts, in order (CPU).

    Call under `torch.inference_mode()` with the model in eval mode.
    """
    device = model_device(model)
    out = torch.zeros(len(ids), model_config(model).num_labels)
    for rows in eval_order([len(x) for x in ids], batch_size):
        batch = to_device(pad_batch([ids[i] for i in rows], None, pad_id), device)
        logits = model(**model_inputs(batch)).logits  # (b, C)
        out[rows] = logits.float().cpu()
    return out


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
        out = model(**model_inputs(batch), labels=batch["labels"])
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
