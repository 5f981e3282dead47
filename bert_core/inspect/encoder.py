"""The encoder inside a model, and how long an input it takes."""

from __future__ import annotations

from typing import Protocol, cast

from torch import nn

from ..config import BertConfig
from ..model import BertModel

__all__ = ["encoder_of", "max_positions"]


class TaskModel(Protocol):
    """What the inspectors read from a task model beyond `nn.Module`: its config and its `.bert` encoder."""

    config: BertConfig
    bert: BertModel


def as_task_model(model: nn.Module) -> TaskModel:
    """`model` typed as a `TaskModel`. No check: reading an attribute it lacks still raises AttributeError."""
    return cast(TaskModel, model)  # nn.Module's attributes are untyped (`Tensor | Module`); this names them


def encoder_of(model: nn.Module) -> BertModel:
    """The bare `BertModel` inside a task model (or the model itself)."""
    # the inspectors are handed a BertModel or a task model around one; nothing else is checked here
    return cast(BertModel, getattr(model, "bert", model))


def max_positions(model: nn.Module, default: int = 512) -> int:
    """The longest input (in tokens) the model's position embeddings allow (`default` when unknown)."""
    return getattr(getattr(encoder_of(model), "config", None), "max_position_embeddings", default)
