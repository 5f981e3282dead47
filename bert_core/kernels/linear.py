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

from .gemm import Kernel, gemm_for, onednn_linear


class OneDnnLinearFunction(torch.autograd.Function):
    """y = x Wᵀ + b with every product of forward and backward on oneDNN."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return onednn_linear(x, weight, bias)  # (..., out)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:  # type: ignore[override]
        x, weight = ctx.saved_tensors
        want_bias = ctx.has_bias and ctx.needs_input_grad[2]
        return linear_grads(grad, x, weight, *ctx.needs_input_grad[:2], want_bias, kernel="onednn")


def linear_grads(
    grad: Tensor,
    x: Tensor,
    weight: Tensor,
    want_x: bool = True,
    want_weight: bool = True,
    want_bias: bool = True,
    kernel: Kernel = "onednn",
) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """The gradients of y = x Wᵀ + b for the upstream `grad` (..., out), each product on `kernel`:
    (grad_x (..., in), grad_weight (out, in), grad_bias (out,)), None where not wanted."""
    grad_x = grad_w = grad_b = None
    rows = grad.reshape(-1, grad.size(-1))  # (N, out)
    if want_x:
        if kernel == "onednn":
            grad_x = onednn_linear(grad, weight.t(), None)  # (..., out) · (out, in) → (..., in)
        else:
            grad_x = grad @ weight  # (..., in)
    if want_weight:
        inputs = x.reshape(-1, x.size(-1))  # (N, in)
        if kernel != "onednn":
            grad_w = rows.t() @ inputs  # (out, in)
        # oneDNN reads a transposed weight in place but copies a transposed input: transpose-copy the
        # narrower of the two (the MLM decoder's (N, V) gradient is ~100x wider than its input).
        elif rows.size(1) <= inputs.size(1):
            grad_w = onednn_linear(rows.t(), inputs.t(), None)  # (out, N) · (N, in) → (out, in)
        else:
            grad_w = onednn_linear(inputs.t(), rows.t(), None).t()  # ((in, N) · (N, out))ᵀ → (out, in)
    if want_bias:
        grad_b = rows.sum(0)  # (out,)
    return grad_x, grad_w, grad_b


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
