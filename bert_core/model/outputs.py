"""Small output records returned by the models' `forward`."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


@dataclass
class BaseModelOutput:
    last_hidden_state: Tensor  # (B, T, C)
    pooler_output: Tensor | None = None  # (B, C)
    hidden_states: tuple[Tensor, ...] | None = None  # L + 1 tensors (B, T, C), embeddings first
    attentions: tuple[Tensor, ...] | None = None  # L tensors (B, nh, T, T)


@dataclass
class PreTrainingOutput:
    loss: Tensor | None  # mlm_loss + nsp_loss (whichever labels were given)
    prediction_logits: Tensor  # (B, T, V); or (N, V) at the N labelled positions when decoded sparsely
    seq_relationship_logits: Tensor  # (B, 2): 0 = B follows A, 1 = B is random
    mlm_loss: Tensor | None = None
    nsp_loss: Tensor | None = None
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: tuple[Tensor, ...] | None = None


@dataclass
class MaskedLMOutput:
    loss: Tensor | None
    logits: Tensor  # (B, T, V); or (N, V) at the N labelled positions when decoded sparsely
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: tuple[Tensor, ...] | None = None


@dataclass
class SequenceClassifierOutput:
    loss: Tensor | None
    logits: Tensor  # (B, num_labels)
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: tuple[Tensor, ...] | None = None


@dataclass
class QuestionAnsweringOutput:
    loss: Tensor | None
    start_logits: Tensor  # (B, T)
    end_logits: Tensor  # (B, T)
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: tuple[Tensor, ...] | None = None
