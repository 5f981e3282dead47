"""What the training engine is given: the task protocol (`TrainTask`), the optimisation settings
(`TrainingArguments`, with the learning-rate schedule) and AdamW's weight-decay groups."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from torch import Tensor, nn

__all__ = ["Batch", "TrainTask", "TrainingArguments", "TrainingDiverged", "decay_groups"]

Batch = dict[str, Any]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; no update was applied and the last checkpoint stays valid."""


class TrainTask(Protocol):
    """What the engine needs from a task (see `bert_core.pretraining.task` for pretraining)."""

    def batch(self, micro_index: int, rank: int, world_size: int) -> Batch:
        """Micro-batch number `micro_index` (a pure function of its arguments) for this rank."""

    def counts(self, batch: Batch) -> dict[str, float]:
        """Denominators of the batch's metrics, e.g. {"mlm": masked tokens, "nsp": pairs, "tokens": n}."""

    def forward(self, model: nn.Module, batch: Batch) -> dict[str, Tensor]:
        """Summed metrics named `<count>_<what>`: keys ending in `_loss` form the objective."""

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Held-out metrics; may return {}."""


@dataclass
class TrainingArguments:
    """Optimisation settings. All of them are saved with every checkpoint."""

    max_steps: int = 1000  # optimizer steps
    learning_rate: float = 1e-4  # peak learning rate, reached after warmup
    warmup_steps: int = 100  # linear warmup from 0, then linear decay to 0 at max_steps
    weight_decay: float = 0.01  # AdamW decay, never applied to biases and LayerNorm weights
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-6
    max_grad_norm: float = 1.0  # clip the global gradient norm; 0 disables clipping
    gradient_accumulation_steps: int = 1  # micro-batches per optimizer step
    seed: int = 0  # seeds data order, masking and dropout
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    device: str = "auto"  # auto | cpu | cuda | mps
    eval_every: int = 0  # evaluate every N steps (0: only at the end)
    save_every: int = 0  # checkpoint every N steps (0: only at the end)
    compile: bool = False  # torch.compile the model (slow to start; opt-in)
    freeze_encoder_steps: int = 0  # keep `model.bert` fixed for the first N steps so new heads catch up
    max_loss: float = 0.0  # a loss above this also counts as diverged (0: only NaN/inf); see `step`

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate}")
        if not self.max_loss >= 0:
            raise ValueError(f"max_loss must be >= 0 (0 disables it), got {self.max_loss}")
        if self.warmup_steps < 0 or self.gradient_accumulation_steps < 1 or self.freeze_encoder_steps < 0:
            raise ValueError(
                f"warmup_steps and freeze_encoder_steps must be >= 0 and gradient_accumulation_steps >= 1, got "
                f"{self.warmup_steps}, {self.freeze_encoder_steps} and {self.gradient_accumulation_steps}"
            )

    def lr_factor(self, step: int) -> float:
        """Multiplier of the peak learning rate for optimizer step `step` (0-based)."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        return max(0.0, (self.max_steps - step) / max(1, self.max_steps - self.warmup_steps))


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW parameter groups: decay for weight matrices, none for biases, LayerNorm and embeddings' norms."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for name, param in model.named_parameters():  # tied parameters are listed once
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    groups: list[dict[str, Any]] = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    seen = [id(p) for g in groups for p in g["params"]]
    assert len(seen) == len(set(seen)), "a parameter is in two weight-decay groups"
    return groups
