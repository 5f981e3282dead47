"""The encoder inside a model, and how long an input it takes."""

from __future__ import annotations

from torch import nn

__all__ = ["encoder_of", "max_positions"]


def encoder_of(model: nn.Module) -> nn.Module:
    """The bare `BertModel` inside a task model (or the model itself)."""
    return getattr(model, "bert", model)


def max_positions(model: nn.Module, default: int = 512) -> int:
    """The longest input (in tokens) the model's position embeddings allow (`default` when unknown)."""
    return getattr(getattr(encoder_of(model), "config", None), "max_position_embeddings", default)
