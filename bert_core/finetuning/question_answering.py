"""Extractive QA as a training task: windowed features, padded batches, span loss and SQuAD metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..batching import model_device, model_inputs, pad_batch, to_device
from ..metrics import squad_metrics
from ..tokenizer import Tokenizer
from .batches import EpochBatches, eval_order
from .data.squad import QAExample
from .qa_features import QAFeature, make_features, predict_answers

__all__ = ["QuestionAnsweringTask", "collate_qa", "qa_forward"]


def collate_qa(features: Sequence[QAFeature], pad_id: int) -> dict[str, Any]:
    """A padded batch of QA features with their start/end positions (B,)."""
    batch = pad_batch([f.input_ids for f in features], [f.token_type_ids for f in features], pad_id)
    batch["start_positions"] = torch.tensor([f.start_position for f in features])  # (B,)
    batch["end_positions"] = torch.tensor([f.end_position for f in features])  # (B,)
    return batch


def qa_forward(model: nn.Module, batch: dict[str, Any], with_loss: bool) -> Any:
    """`BertForQuestionAnswering` on a `collate_qa` batch (loss only `with_loss`)."""
    return model(
        **model_inputs(batch),
        start_positions=batch["start_positions"] if with_loss else None,
        end_positions=batch["end_positions"] if with_loss else None,
    )


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
        device = model_device(model)
        starts: list[Tensor] = [torch.empty(0)] * len(self.dev_features)
        ends: list[Tensor] = [torch.empty(0)] * len(self.dev_features)
        loss_sum = 0.0
        for rows in eval_order([len(f) for f in self.dev_features], self.eval_batch_size):
            batch = to_device(collate_qa([self.dev_features[i] for i in rows], self.tokenizer.pad_token_id), device)
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
