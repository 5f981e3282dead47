"""oneDNN's fp32 products, reached through `torch.ops.mkldnn._linear_pointwise` (inside PyTorch).

`onednn_linear` is one product without autograd; `OneDnnLinearFunction` is y = x Wᵀ + b with every
product of its forward and backward on oneDNN; `linear_grads` is that backward, on either kernel.
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

Kernel = str  # "mkl" (PyTorch's default BLAS) or "onednn"


@functools.cache
def onednn_available() -> bool:
    """Whether this PyTorch build runs `torch.ops.mkldnn._linear_pointwise` (oneDNN) correctly."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        x, w = torch.ones(2, 3), torch.ones(4, 3)
        return bool(torch.equal(torch.ops.mkldnn._linear_pointwise(x, w, None, "none", [], ""), x @ w.t()))
    except (AttributeError, RuntimeError):  # a build without oneDNN, or an op that changed
        return False


def dense(t: Tensor) -> Tensor:
    """`t` itself when it is contiguous or the transpose of a contiguous matrix, else a contiguous copy:
    oneDNN multiplies other strides (e.g. the pooler's `hidden[:, 0]`) on a slow reference kernel,
    27 ms instead of 0.05 ms for a (256, 32) · (32, 256) product."""
    if t.is_contiguous() or (t.dim() == 2 and t.t().is_contiguous()):
        return t
    return t.contiguous()


def onednn_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x (..., in) · weight (out, in)ᵀ + bias (out,) → (..., out), on oneDNN (no autograd)."""
    return torch.ops.mkldnn._linear_pointwise(dense(x), dense(weight), bias, "none", [], "")


class OneDnnLinearFunction(torch.autograd.Function):
    """y = x Wᵀ + b with every product of forward and backward on oneDNN."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return onednn_linear(x, weight, bias)  # (..., out)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad  # (x, weight, bias)
        want_bias = ctx.has_bias and needs[2]
        return linear_grads(grad, x, weight, needs[0], needs[1], want_bias, kernel="onednn")


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
