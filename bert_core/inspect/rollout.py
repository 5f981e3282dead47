"""Attention rollout (Abnar & Zuidema 2020): attention followed through every layer at once.

Each layer's heads are averaged and the residual connection is added as half the weight on the token
itself (0.5·A + 0.5·I, rows renormalised); multiplying the layers gives, for every position, how much of
its final representation flows from each input position.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["rollout"]


def rollout(attentions: Tensor) -> Tensor:
    """Attention rollout of one sequence: `attentions` (L, nh, T, T) → (T, T), each row summing to 1.

    Row i says how much of position i's final representation flows from each input position.
    """
    L, _, T, _ = attentions.shape
    eye = torch.eye(T, dtype=attentions.dtype, device=attentions.device)
    flow = eye
    for layer in range(L):
        a = 0.5 * attentions[layer].mean(0) + 0.5 * eye  # (T, T): heads averaged, residual added
        a = a / a.sum(-1, keepdim=True)
        flow = a @ flow  # (T, T)
    return flow
