"""Attention maps of every layer and head, and per-head statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..batching import batch_from_encodings, eval_mode, model_device, model_inputs
from ..tokenizer import CLS, SEP, Tokenizer
from .encoder import encoder_of, max_positions

__all__ = ["HEAD_STATISTICS", "AttentionMaps", "attentions", "head_statistics"]


@dataclass
class AttentionMaps:
    """Every head's attention probabilities for one input."""

    tokens: list[str]  # the encoded sequence, specials included (T tokens)
    weights: np.ndarray  # (L, H, T, T) float32; row i (a query) sums to 1 over the keys
    token_type_ids: list[int]  # 0 for segment A, 1 for segment B
    truncated: bool = False  # the input was cut to `max_length` tokens

    @property
    def segment_b_start(self) -> int | None:
        """Index of the first token of segment B, or None for a single sentence."""
        return self.token_type_ids.index(1) if 1 in self.token_type_ids else None


@torch.inference_mode()
def attentions(
    model: nn.Module, tokenizer: Tokenizer, text: str, pair: str | None = None, max_length: int | None = None
) -> AttentionMaps:
    """Attention probabilities of every layer and head for `text` (and optionally `pair`).

    Args:
        model: a `BertModel` or a model with a `.bert` encoder.
        tokenizer: the model's tokenizer.
        text: sentence A. pair: sentence B, or None/"" for a single sentence.
        max_length: most tokens (default: the model's `max_position_embeddings`).

    Returns:
        The tokens and their (L, H, T, T) attention maps.
    """
    limit = max_length or max_positions(model)
    enc = tokenizer.encode(text, pair or None, max_length=limit)
    truncated = len(enc) >= limit and len(tokenizer.encode(text, pair or None)) > limit
    encoder = encoder_of(model)
    with eval_mode(encoder):
        inputs = model_inputs(batch_from_encodings([enc], model_device(encoder)))
        input_ids = inputs["input_ids"]
        assert input_ids is not None  # model_inputs always sets input_ids; only attention_mask may be None
        maps = encoder.attention_maps(input_ids, inputs["attention_mask"], inputs["token_type_ids"])
    weights = torch.stack(maps, dim=1)[0].float().cpu().numpy()  # (L, H, T, T)
    return AttentionMaps(list(enc.tokens), weights, list(enc.token_type_ids), truncated)


# name → label, in display order; see `head_statistics`
HEAD_STATISTICS = {
    "entropy": "entropy (bits)",
    "cls": "attention to [CLS]",
    "sep": "attention to [SEP]",
    "prev": "to the previous token",
    "next": "to the next token",
    "self": "to itself",
}


def head_statistics(attn: np.ndarray, tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-head summaries that reveal "positional" and "delimiter" heads (Clark et al., 2019).

    Args:
        attn: (L, H, T, T) attention probabilities (rows are queries).
        tokens: the T tokens.

    Returns:
        One (L, H) array per key of `HEAD_STATISTICS`, each averaged over the T query positions:
        `entropy` in bits (0 = all weight on one token, log2 T = uniform), the weight on all `[CLS]`
        and on all `[SEP]` tokens, on the token just before (`prev`, queries 1..T-1), just after
        (`next`, queries 0..T-2), and on the query token itself (`self`).

    Raises:
        ValueError: `attn` is not (L, H, T, T) with T = len(tokens).
    """
    attn = np.asarray(attn, dtype=np.float64)
    T = len(tokens)
    if attn.ndim != 4 or attn.shape[-2:] != (T, T):
        raise ValueError(f"expected attention of shape (L, H, {T}, {T}) for {T} tokens, got {attn.shape}")
    plogp = np.where(attn > 0, attn * np.log2(np.where(attn > 0, attn, 1.0)), 0.0)
    cls = np.array([t == CLS for t in tokens])
    sep = np.array([t == SEP for t in tokens])
    rows = np.arange(T)
    zeros = np.zeros(attn.shape[:2])
    return {
        "entropy": -plogp.sum(-1).mean(-1),
        "cls": attn[..., cls].sum(-1).mean(-1) if cls.any() else zeros,
        "sep": attn[..., sep].sum(-1).mean(-1) if sep.any() else zeros,
        "prev": attn[..., rows[1:], rows[1:] - 1].mean(-1) if T > 1 else zeros,
        "next": attn[..., rows[:-1], rows[:-1] + 1].mean(-1) if T > 1 else zeros,
        "self": attn[..., rows, rows].mean(-1),
    }
