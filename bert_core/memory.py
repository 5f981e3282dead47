"""How much memory will a training run need? An estimate from its settings, before it starts.

peak ≈ weights (4 bytes a parameter) + gradients and AdamW's two moments (4 + 8 bytes a trained
parameter) + activations + a fixed runtime overhead. The activations are what autograd keeps for the
backward pass; rather than a formula that goes stale whenever a kernel changes, they are *counted*:
one sequence of the run's length goes through the real model under `saved_tensors_hooks` (about as long
as one forward of one sequence), and the count scales with the batch. `ACTIVATION_FACTOR` covers what
the backward pass allocates on top (gradients of activations, allocator slack); it and `OVERHEAD_BYTES`
were fitted to measured peaks (docs/faults.md has the table and the command).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .config import BertConfig
from .model import BertForPreTraining, BertForQuestionAnswering, BertForSequenceClassification

__all__ = ["MemoryEstimate", "available_memory", "estimate_training_memory", "refusal", "run_refusal"]

ACTIVATION_FACTOR = 1.3  # peak activation memory / saved activations (backward buffers, allocator slack)
OVERHEAD_BYTES = 140 * 2**20  # what the first training step allocates once (thread pools, kernel workspaces)
MASKED_FRACTION = 0.15


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of one training run at its peak, by part."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    overhead: int
    batch_size: int
    seq_len: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations + self.overhead

    def describe(self) -> str:
        """One line a student can read: the total and its biggest parts."""
        return (
            f"about {_gb(self.total)} (weights {_gb(self.weights)}, gradients and optimizer "
            f"{_gb(self.gradients + self.optimizer)}, activations {_gb(self.activations)} at "
            f"{self.batch_size} × {self.seq_len} tokens)"
        )


def _model(config: BertConfig, task: str) -> nn.Module:
    classes = {
        "pretrain": BertForPreTraining,
        "sentiment": BertForSequenceClassification,
        "qa": BertForQuestionAnswering,
    }
    if task not in classes:
        raise ValueError(f"task must be one of {sorted(classes)}, got {task!r}")
    return classes[task](config)


def _one_sequence(config: BertConfig, task: str, seq_len: int, masked: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, config.vocab_size, (1, seq_len), generator=gen)  # (1, T)
    batch: dict[str, torch.Tensor] = {"input_ids": ids}
    if task == "pretrain":
        labels = torch.full_like(ids, -100)
        labels[0, 1 : 1 + masked] = ids[0, 1 : 1 + masked]
        batch |= {"labels": labels, "next_sentence_label": torch.zeros(1, dtype=torch.long)}
    elif task == "sentiment":
        batch |= {"labels": torch.zeros(1, dtype=torch.long)}
    else:
        batch |= {"start_positions": torch.ones(1, dtype=torch.long), "end_positions": torch.ones(1, dtype=torch.long)}
    return batch


def saved_activation_bytes(model: nn.Module, batch: dict[str, torch.Tensor]) -> int:
    """Bytes autograd keeps for backward in one training forward of `batch` (parameters not counted)."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in params:
            saved[ptr] = t.untyped_storage().nbytes()
        return t

    model.train()
    model(**batch)  # a first forward outside the hooks: one-off work (e.g. the kernels' timing) is not counted
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(**batch)
    return sum(saved.values())


def estimate_training_memory(
    config: BertConfig,
    *,
    task: str = "pretrain",
    batch_size: int,
    seq_len: int,
    max_predictions: int | None = 20,
    frozen_fraction: float = 0.0,
) -> MemoryEstimate:
    """Peak memory of training `config` on `task` ("pretrain", "sentiment", "qa") at batch × seq_len.

    Args:
        max_predictions: masked tokens per sequence at most (pretraining); 15% of the tokens otherwise.
        frozen_fraction: share of the parameters kept fixed (no gradient, no optimizer state).
    """
    if batch_size < 1 or seq_len < 2:
        raise ValueError(f"batch_size must be ≥ 1 and seq_len ≥ 2, got {batch_size} and {seq_len}")
    masked = max(1, round(MASKED_FRACTION * seq_len))
    if max_predictions is not None:
        masked = min(masked, max_predictions)
    torch.manual_seed(0)
    model = _model(config, task)
    n_params = sum(p.numel() for p in model.parameters())
    per_sequence = saved_activation_bytes(model, _one_sequence(config, task, seq_len, masked))
    trained = round(n_params * (1.0 - frozen_fraction))
    return MemoryEstimate(
        weights=4 * n_params,
        gradients=4 * trained,
        optimizer=8 * trained,
        activations=round(ACTIVATION_FACTOR * per_sequence * batch_size),
        overhead=OVERHEAD_BYTES,
        batch_size=batch_size,
        seq_len=seq_len,
    )


def available_memory(device: torch.device | None = None) -> int:
    """Bytes this process can still allocate: on a CUDA `device` the GPU's free memory; else the smaller of
    the system's available memory and what its cgroup (a container's limit) leaves."""
    if device is not None and device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for line in Path("/proc/meminfo").read_text().splitlines() if Path("/proc/meminfo").exists() else []:
        if line.startswith("MemAvailable:"):
            available = int(line.split()[1]) * 1024
    limit, usage = Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")
    if limit.exists() and usage.exists() and limit.read_text().strip() != "max":
        available = min(available, int(limit.read_text()) - int(usage.read_text()))
    return max(available, 0)


def refusal(estimate: MemoryEstimate, available: int | None = None) -> str | None:
    """A clear message when the run cannot fit in the memory left, else None."""
    free = available_memory() if available is None else available
    if estimate.total <= free:
        return None
    return (
        f"This run would need {estimate.describe()}, but only {_gb(free)} of memory is free on the server. "
        "Lower the batch size or the sequence length, or pick a smaller model size."
    )


def run_refusal(config: BertConfig, device: torch.device, **estimate: Any) -> str | None:
    """`refusal` for a run about to start on `device` (`estimate`: `estimate_training_memory`'s keywords).

    None when it fits, and also when not even the one-sequence count fits: the run then fails at once and
    reports it with the jobs' out-of-memory message.
    """
    try:
        needed = estimate_training_memory(config, **estimate)
    except torch.OutOfMemoryError:
        return None
    return refusal(needed, available_memory(device))
