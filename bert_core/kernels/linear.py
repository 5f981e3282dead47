"""`FastLinear`: `nn.Linear` whose fp32 CPU products run on the kernel measured fastest (see `.gemm`).

Same parameters, same state-dict names (`dense.weight`, `dense.bias`): `use_fast_path` swaps the class
of an existing `nn.Linear` in place, so checkpoints still move to and from `transformers`; only the
kernel that multiplies changes (to fp32 rounding: relative difference ~4e-7, as between two BLAS).
CUDA/MPS tensors, other dtypes, CPU autocast and `torch.compile` (whose compiler picks its own
kernels) always take `torch.nn.functional.linear`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .gemm import gemm_for
from .onednn import Kernel, OneDnnLinearFunction, onednn_linear


def fast_kernel(x: Tensor, weight: Tensor) -> Kernel | None:
    """The kernel `linear(x, weight)` uses: "onednn" or "mkl" for fp32 CPU products outside autocast
    and compilation (measured per shape, see `.gemm`), None where `F.linear` decides on its own."""
    if not (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
        and not torch.compiler.is_compiling()
    ):
        return None
    backward = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    return gemm_for(weight.size(1), weight.size(0), x.numel() // max(x.size(-1), 1), backward)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`F.linear(x, weight, bias)`: x (..., in), weight (out, in), bias (out,) → (..., out), on oneDNN
    for fp32 CPU tensors where it was measured faster than MKL at this shape."""
    if fast_kernel(x, weight) != "onednn":
        return F.linear(x, weight, bias)
    if torch.is_grad_enabled() and (
        x.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)
    ):
        return OneDnnLinearFunction.apply(x, weight, bias)
    return onednn_linear(x, weight, bias)


class FastLinear(nn.Linear):
    """`nn.Linear` (same parameters and names) computed by `linear`."""

    reference_class = nn.Linear

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)
