"""Multi-head self-attention: fused SDPA by default, explicit probabilities on request."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import BertConfig


def extended_attention_mask(attention_mask: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    """Turn a (B, T) 1/0 padding mask into an additive (B, 1, 1, T) mask, or None when absent.

    Padded keys get the most negative finite value of `dtype` (as Hugging Face does), so a
    fully padded row still gives finite, uniform probabilities instead of NaN.
    """
    if attention_mask is None:
        return None
    keep = attention_mask[:, None, None, :].to(torch.bool)  # (B, 1, 1, T)
    zero = torch.zeros((), dtype=dtype, device=attention_mask.device)
    return torch.where(keep, zero, torch.finfo(dtype).min)


class BertSelfAttention(nn.Module):
    """Query/key/value projections and scaled dot-product attention over all heads."""

    # The product behind the fused projections of `_project`; `bert_core.kernels.use_fast_path` swaps
    # in its own, as it swaps the `nn.Linear` modules.
    linear_fn = staticmethod(F.linear)

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x: Tensor) -> Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.num_heads, self.head_size).transpose(1, 2)  # (B, nh, T, hs)

    def _project(self, x: Tensor, *layers: nn.Linear) -> tuple[Tensor, ...]:
        """Apply several C → C projections; when training, as one matmul on concatenated weights.

        The weights stay separate parameters (the checkpoint's `query`/`key`/`value` names). With
        autograd on, one (B·T, C) × (C, k·C) matmul and its backward replace k smaller ones, for the
        price of concatenating the weights (a small copy). Without autograd (inference, often a single
        short sentence) that copy costs about as much as it saves, so the projections run one by one.
        """
        if len(layers) == 1 or not torch.is_grad_enabled():
            return tuple(layer(x) for layer in layers)
        weight = torch.cat([layer.weight for layer in layers])  # (k·C, C)
        bias = torch.cat([layer.bias for layer in layers])  # (k·C,)
        return self.linear_fn(x, weight, bias).split(layers[0].out_features, dim=-1)  # k × (B, T, C)

    def forward(
        self,
        hidden_states: Tensor,
        attn_mask: Tensor | None = None,
        output_attentions: bool = False,
        queries: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend.

        Args:
            hidden_states: (B, T, C): what keys and values are computed from.
            attn_mask: additive (B, 1, 1, T) mask from `extended_attention_mask`, or None (nothing padded).
            output_attentions: also return the (B, nh, P, T) probabilities (slower: no fused kernel).
            queries: (B, P, C) rows to compute the output for; None means every row of `hidden_states`
                (P = T). Each output row depends only on its own query, so a subset is exact.

        Returns:
            (context (B, P, C), probabilities or None).
        """
        if queries is None:
            q, k, v = self._project(hidden_states, self.query, self.key, self.value)
            queries = hidden_states
        else:
            (q,) = self._project(queries, self.query)
            k, v = self._project(hidden_states, self.key, self.value)
        B, P, C = queries.shape
        q, k, v = self._heads(q), self._heads(k), self._heads(v)  # (B, nh, P or T, hs)
        probs = None
        p = self.dropout.p if self.training else 0.0
        # SDPA draws its own dropout mask. When the dropout module is not stock `nn.Dropout` (the CPU
        # fast path swaps in a cheaper mask), the explicit softmax lets that module drop: on the CPU
        # SDPA has no fused kernel with dropout, so this path costs nothing there.
        own_dropout = p > 0.0 and q.device.type == "cpu" and type(self.dropout) is not nn.Dropout
        if output_attentions or own_dropout:
            weights = self._softmax(q, k, attn_mask)  # (B, nh, P, T)
            probs = weights if output_attentions else None
            context = self.dropout(weights) @ v  # (B, nh, P, hs)
        else:
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p)
        context = context.transpose(1, 2).reshape(B, P, C)  # (B, P, C)
        return context, probs

    def _softmax(self, q: Tensor, k: Tensor, attn_mask: Tensor | None) -> Tensor:
        """softmax(q kᵀ / √hs + mask): q (B, nh, P, hs), k (B, nh, T, hs) → (B, nh, P, T)."""
        scores = q @ k.transpose(-1, -2)  # (B, nh, P, T)
        scores = scores.div_(math.sqrt(self.head_size))
        if attn_mask is not None:
            scores = scores.add_(attn_mask)
        return scores.softmax(dim=-1)

    def probabilities(self, hidden_states: Tensor, attn_mask: Tensor | None = None) -> Tensor:
        """The attention probabilities (B, nh, T, T) alone: queries and keys only, no values or context.

        Same numbers as `forward(..., output_attentions=True)[1]`, for a third of the projections.
        """
        q, k = self._project(hidden_states, self.query, self.key)
        return self._softmax(self._heads(q), self._heads(k), attn_mask)
