"""`Linear`: an `nn.Linear` whose fp32 CPU products can run on oneDNN instead of the default BLAS.

PyTorch sends fp32 CPU matmuls to MKL, and MKL takes its slower code paths on processors that are
not Intel's. On the AMD EPYC this project is developed on, oneDNN (which ships inside PyTorch) runs
the same fp32 products 1.7-2.3x faster at BERT's shapes, to fp32 rounding (relative difference
~4e-7, the same as between two BLAS libraries). `Linear` keeps `nn.Linear`'s parameters and
state-dict names (`dense.weight`, `dense.bias`), so checkpoints still move to and from
`transformers`; only the kernel that multiplies changes.

Which kernel (`cpu_gemm()`), decided once per process:
    BERT_CORE_CPU_GEMM=onednn | blas | auto (default): auto picks oneDNN on AMD processors, BLAS elsewhere.
CUDA/MPS tensors, other dtypes, CPU autocast and `torch.compile` (whose compiler picks its own
kernels) always take `torch.nn.functional.linear`.
"""

from __future__ import annotations

import functools
import os
import platform

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_CHOICES = ("auto", "onednn", "blas")


def _cpu_vendor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()  # e.g. "AMD64 Family 25 Model 17 Stepping 1, AuthenticAMD" on Windows


def onednn_available() -> bool:
    """Whether this PyTorch build runs `torch.ops.mkldnn._linear_pointwise` (oneDNN) correctly."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        x, w = torch.ones(2, 3), torch.ones(4, 3)
        return bool(torch.equal(torch.ops.mkldnn._linear_pointwise(x, w, None, "none", [], ""), x @ w.t()))
    except (AttributeError, RuntimeError):  # a build without oneDNN, or an op that changed
        return False


@functools.cache
def cpu_gemm() -> str:
    """ "onednn" or "blas": the kernel `Linear` uses for fp32 CPU products in this process."""
    asked = os.environ.get("BERT_CORE_CPU_GEMM", "auto").strip().lower()
    if asked not in _CHOICES:
        raise ValueError(f"BERT_CORE_CPU_GEMM={asked!r}: choose one of {', '.join(_CHOICES)}")
    if asked == "blas" or not onednn_available():
        return "blas"
    return "onednn" if asked == "onednn" or "AuthenticAMD" in _cpu_vendor() else "blas"


def _dense(t: Tensor) -> Tensor:
    """`t` itself when it is contiguous or the transpose of a contiguous matrix, else a contiguous copy:
    oneDNN multiplies other strides (e.g. the pooler's `hidden[:, 0]`) on a slow reference kernel,
    27 ms instead of 0.05 ms for a (256, 32) · (32, 256) product."""
    if t.is_contiguous() or (t.dim() == 2 and t.t().is_contiguous()):
        return t
    return t.contiguous()


def _dnnl(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x (..., in) · weight (out, in)ᵀ + bias (out,) → (..., out), on oneDNN."""
    return torch.ops.mkldnn._linear_pointwise(_dense(x), _dense(weight), bias, "none", [], "")


class _OneDnnLinear(torch.autograd.Function):
    """y = x Wᵀ + b with every product of forward and backward on oneDNN."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _dnnl(x, weight, bias)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:  # type: ignore[override]
        x, weight = ctx.saved_tensors
        return linear_grads(grad, x, weight, *ctx.needs_input_grad[:2], ctx.has_bias and ctx.needs_input_grad[2])


def linear_grads(
    grad: Tensor, x: Tensor, weight: Tensor, want_x: bool = True, want_weight: bool = True, want_bias: bool = True
) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """The gradients of y = x Wᵀ + b for the upstream `grad` (..., out), each product on oneDNN:
    (grad_x (..., in), grad_weight (out, in), grad_bias (out,)), None where not wanted."""
    grad_x = grad_w = grad_b = None
    rows = grad.reshape(-1, grad.size(-1))  # (N, out)
    if want_x:
        grad_x = _dnnl(grad, weight.t(), None)  # (..., out) · (out, in) → (..., in)
    if want_weight:
        inputs = x.reshape(-1, x.size(-1))  # (N, in)
        # oneDNN reads a transposed weight in place but copies a transposed input: transpose-copy the
        # narrower of the two (the MLM decoder's (N, V) gradient is ~100x wider than its input).
        if rows.size(1) <= inputs.size(1):
            grad_w = _dnnl(rows.t(), inputs.t(), None)  # (out, N) · (N, in) → (out, in)
        else:
            grad_w = _dnnl(inputs.t(), rows.t(), None).t()  # ((in, N) · (N, out))ᵀ → (out, in)
    if want_bias:
        grad_b = rows.sum(0)  # (out,)
    return grad_x, grad_w, grad_b


def uses_onednn(x: Tensor, weight: Tensor) -> bool:
    """Whether `linear(x, weight)` runs on oneDNN (fp32 CPU, no autocast, not compiling, `cpu_gemm()`)."""
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
        and not torch.compiler.is_compiling()
        and cpu_gemm() == "onednn"
    )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`F.linear(x, weight, bias)`, on oneDNN for fp32 CPU tensors when `cpu_gemm()` says so."""
    if not uses_onednn(x, weight):
        return F.linear(x, weight, bias)
    if torch.is_grad_enabled() and (
        x.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)
    ):
        return _OneDnnLinear.apply(x, weight, bias)
    return _dnnl(x, weight, bias)


class Linear(nn.Linear):
    """`nn.Linear` (same parameters and names) computed by `linear`."""

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)
