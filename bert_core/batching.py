"""Running a model on batches: padded batches, model inputs from a batch, devices, eval mode.

A *batch* is a dict of (B, T) tensors `input_ids`, `token_type_ids`, `attention_mask` and a bool
`has_padding` (plus whatever a task adds: labels, positions, the epoch). `model_inputs` turns one into
the keyword arguments every BERT forward takes; the attention mask is left out (None) when nothing is
padded, which lets the model take its faster unmasked path.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from .tokenizer import Encoding

__all__ = ["batch_from_encodings", "epoch_order", "eval_mode", "model_device", "model_inputs", "pad_batch", "to_device"]


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


def epoch_order(lengths: Tensor, global_batch: int, gen: torch.Generator, *, bucket: bool = True) -> Tensor:
    """(num_batches, global_batch) row indices of one epoch's global batches, drawn from `gen`.

    A random permutation, wrapped round so every batch is full; with `bucket`, each chunk of 50
    batches is sorted by `lengths` (N,) so a batch holds rows of similar length (less padding), and
    the batch order is shuffled again so lengths do not rise through the epoch.
    """
    N = len(lengths)
    n_batches = math.ceil(N / global_batch)
    perm = torch.randperm(N, generator=gen).repeat(math.ceil(n_batches * global_batch / N))
    perm = perm[: n_batches * global_batch]  # wrapped round to whole batches
    if not bucket:
        return perm.view(n_batches, global_batch)
    chunk = 50 * global_batch
    for s in range(0, len(perm), chunk):
        part = perm[s : s + chunk]
        perm[s : s + chunk] = part[lengths[part].argsort(stable=True)]
    return perm.view(n_batches, global_batch)[torch.randperm(n_batches, generator=gen)]


def batch_from_encodings(encodings: Sequence[Encoding], device: torch.device | str | None = None) -> dict[str, Any]:
    """A batch of equally long encodings (`Tokenizer.encode_batch(..., padding=True)`, or one encoding):
    input_ids, token_type_ids, attention_mask (B, T) on `device`, and has_padding."""
    attention = torch.tensor([e.attention_mask for e in encodings], device=device)  # (B, T)
    return {
        "input_ids": torch.tensor([e.input_ids for e in encodings], device=device),  # (B, T)
        "token_type_ids": torch.tensor([e.token_type_ids for e in encodings], device=device),  # (B, T)
        "attention_mask": attention,
        "has_padding": bool((attention == 0).any()),
    }


def model_inputs(batch: Mapping[str, Any]) -> dict[str, Tensor | None]:
    """The keyword arguments of a BERT forward for a batch: input_ids, token_type_ids, and the attention
    mask only when the batch holds padding (None otherwise)."""
    return {
        "input_ids": batch["input_ids"],
        "attention_mask": batch["attention_mask"] if batch["has_padding"] else None,
        "token_type_ids": batch["token_type_ids"],
    }


def to_device(batch: Mapping[str, Any], device: torch.device, non_blocking: bool = False) -> dict[str, Any]:
    """The batch with its tensors moved to `device` (other values as they are)."""
    return {k: v.to(device, non_blocking=non_blocking) if isinstance(v, Tensor) else v for k, v in batch.items()}


def model_device(model: nn.Module) -> torch.device:
    """The device of a model's (first) parameters."""
    return next(model.parameters()).device


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Switch `model` to eval mode (no dropout) for the block, then back to the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
