"""`FastDropout`: `nn.Dropout` with a cheaper mask on the CPU.

`nn.Dropout` draws its CPU mask with `bernoulli_`, which costs about twice what uniform draws and a
comparison do (forward + backward: 14 ms vs 7 ms for a (32, 4, 128, 128) attention tensor on this
project's CPU). The mask has the same distribution: each element kept with probability 1 - p and
scaled by 1 / (1 - p); it comes from the default generator, so `torch.manual_seed` makes it
reproducible. Other devices keep `F.dropout` (fused kernels there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Zero each element of `x` with probability `p` and scale the rest by 1 / (1 - p) when `training`."""
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return F.dropout(x, p, training)
    scale = torch.rand(x.shape, device=x.device).ge_(p).to(x.dtype).mul_(1.0 / (1.0 - p))  # same shape as x
    return x * scale


class FastDropout(nn.Dropout):
    """`nn.Dropout` (same module, no parameters) computed by `dropout`."""

    reference_class = nn.Dropout

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)
