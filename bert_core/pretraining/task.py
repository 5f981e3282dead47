"""Pretraining as a task the engine drives (masked LM + next-sentence prediction): its micro-batches, what to sum
from the model output, and the held-out evaluation."""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import torch
from torch import Tensor, nn

from ..batching import model_device, model_inputs, to_device
from .dataset import PretrainingDataset

__all__ = ["PretrainingTask"]

# Tensors, `has_padding` (bool) and `epoch` (int): the engine's `bert_core.training.Batch`.
Batch = dict[str, Any]


class PretrainingTask:
    """Masked-LM + next-sentence prediction over a `PretrainingDataset`.

    Micro-batch `i` maps to (epoch, index) by walking through epochs in order; each epoch draws new
    sentence pairs and new masks.
    """

    def __init__(
        self,
        dataset: PretrainingDataset,
        batch_size: int,
        *,
        eval_dataset: PretrainingDataset | None = None,
        eval_batches: int = 20,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.dataset, self.batch_size = dataset, batch_size
        self.eval_dataset, self.eval_batches = eval_dataset, eval_batches
        self._epoch_starts: dict[int, list[int]] = {}  # world_size → cumulative batch counts per epoch

    def _batches_in_epoch(self, epoch: int, world_size: int) -> int:
        return self.dataset.num_batches(self.batch_size, epoch, world_size=world_size)

    def locate(self, micro_index: int, world_size: int = 1) -> tuple[int, int]:
        """(epoch, batch index within the epoch) of global micro-batch `micro_index`."""
        starts = self._epoch_starts.setdefault(world_size, [0])
        while starts[-1] <= micro_index:
            starts.append(starts[-1] + self._batches_in_epoch(len(starts) - 1, world_size))
        epoch = bisect_right(starts, micro_index) - 1
        return epoch, micro_index - starts[epoch]

    def batch(self, micro_index: int, rank: int = 0, world_size: int = 1) -> Batch:
        epoch, index = self.locate(micro_index, world_size)
        batch: Batch = self.dataset.batch(epoch, index, self.batch_size, rank=rank, world_size=world_size)
        batch["epoch"] = epoch
        return batch

    def counts(self, batch: Batch) -> dict[str, float]:
        return {
            "mlm": float((batch["labels"] != -100).sum()),
            "nsp": float(batch["input_ids"].shape[0]),
            "tokens": float(batch["attention_mask"].sum()),
        }

    def forward(self, model: nn.Module, batch: Batch) -> dict[str, Tensor]:
        labels = batch["labels"]
        out = model(**model_inputs(batch), labels=labels, next_sentence_label=batch["next_sentence_label"])
        targets = labels[labels != -100]  # (N,) in the row-major order of the sparse logits
        n = targets.numel()
        mlm_sum = out.mlm_loss * n if n else out.prediction_logits.sum() * 0.0
        nsp = batch["next_sentence_label"]
        return {
            "mlm_loss": mlm_sum,
            "mlm_acc": (out.prediction_logits.argmax(-1) == targets).sum(),
            "nsp_loss": out.nsp_loss * nsp.numel(),
            "nsp_acc": (out.seq_relationship_logits.argmax(-1) == nsp).sum(),
        }

    @torch.inference_mode()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Held-out masked-token accuracy and loss, perplexity and NSP accuracy (fixed masks: epoch 0)."""
        if self.eval_dataset is None:
            return {}
        sums = {"mlm_loss": 0.0, "mlm_acc": 0.0, "nsp_loss": 0.0, "nsp_acc": 0.0}
        counts = {"mlm": 0.0, "nsp": 0.0}
        device = model_device(model)
        n_batches = min(self.eval_batches, self.eval_dataset.num_batches(self.batch_size, 0))
        for index in range(n_batches):
            batch = self.eval_dataset.batch(0, index, self.batch_size)
            batch = to_device(batch, device)
            for key, value in self.forward(model, batch).items():
                sums[key] += float(value)
            for key, count in self.counts(batch).items():
                if key in counts:
                    counts[key] += count
        if not counts["mlm"]:
            return {}
        metrics = {k: v / counts[k.split("_")[0]] for k, v in sums.items()}
        metrics["mlm_perplexity"] = math.exp(min(metrics["mlm_loss"], 50.0))
        # What the numbers rest on: a few pairs or masked tokens give accuracies with wide error bars.
        metrics.update(
            eval_documents=float(len(self.eval_dataset.docs)), eval_pairs=counts["nsp"], eval_masked=counts["mlm"]
        )
        return metrics
