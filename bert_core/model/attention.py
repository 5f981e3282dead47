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

    def forward(
        self, hidden_states: Tensor, attn_mask: Tensor | None = None, output_attentions: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """Attend.

        Args:
            hidden_states: (B, T, C).
            attn_mask: additive (B, 1, 1, T) mask from `extended_attention_mask`, or None (nothing padded).
            output_attentions: also return the (B, nh, T, T) probabilities (slower: no fused kernel).

        Returns:
            (context (B, T, C), probabilities or None).
        """
        B, T, C = hidden_states.shape
        q = self._heads(self.query(hidden_states))  # (B, nh, T, hs)
        k = self._heads(self.key(hidden_states))
        v = self._heads(self.value(hidden_states))
        probs = None
        if output_attentions:
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_size)  # (B, nh, T, T)
            if attn_mask is not None:
                scores = scores + attn_mask
            probs = scores.softmax(dim=-1)
            context = self.dropout(probs) @ v  # (B, nh, T, hs)
        else:
            p = self.dropout.p if self.training else 0.0
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p)
        context = context.transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return context, probs
