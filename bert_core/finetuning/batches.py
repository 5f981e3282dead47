"""Deterministic shuffled, length-bucketed batches of a fine-tuning set, and the evaluation order."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..batching import epoch_order

__all__ = ["EpochBatches", "eval_order"]


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


def eval_order(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Row indices in batches of `batch_size`, shortest rows first (little padding): the evaluation order."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])  # similar lengths together: little padding
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
