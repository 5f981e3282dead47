"""The masked-LM decoder and its cross-entropy in one autograd step (CPU, fp32).

Unfused, `F.cross_entropy(decoder(h), targets)` makes four (N, V) tensors per step — logits,
log-probabilities, a zero-filled gradient for the loss's gather and the log-softmax gradient — each a
fresh allocation of N × 30,522 floats (74 MB for N = 608) that the CPU first has to page in. Fused,
the forward keeps the logits and their log-sum-exp, and the backward builds the one gradient
softmax - one-hot it needs; its products run on the kernel measured fastest at the decoder's shape
(`.gemm`). Numbers are those of the unfused path to fp32 rounding (tests/test_cpu_kernels.py).
Elsewhere (CUDA, bf16, autocast, compiling, or without a gradient) the unfused path runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .linear import fast_kernel, linear
from .onednn import linear_grads, onednn_linear


class _DecoderCrossEntropy(torch.autograd.Function):
    """(logits, mean cross-entropy) of `h Wᵀ + b` against `targets`; logits carry no gradient."""

    @staticmethod
    def forward(ctx, h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor, kernel: str) -> tuple[Tensor, Tensor]:
        logits = onednn_linear(h, weight, bias) if kernel == "onednn" else F.linear(h, weight, bias)  # (N, V)
        lse = torch.logsumexp(logits, dim=1)  # (N,)
        loss = (lse - logits.gather(1, targets[:, None]).squeeze(1)).mean()
        ctx.save_for_backward(h, weight, logits, lse, targets)
        ctx.kernel = kernel
        ctx.mark_non_differentiable(logits)
        ctx.set_materialize_grads(False)  # no (N, V) zeros for the logits' (absent) gradient
        return logits, loss

    @staticmethod
    def backward(ctx, _grad_logits: Tensor | None, grad_loss: Tensor) -> tuple[Tensor | None, ...]:
        h, weight, logits, lse, targets = ctx.saved_tensors
        grad = torch.sub(logits, lse[:, None]).exp_()  # (N, V) softmax
        grad[torch.arange(len(targets), device=grad.device), targets] -= 1.0  # minus the one-hot
        grad.mul_(grad_loss / len(targets))  # d(mean loss)/d logits
        want_h, want_weight, want_bias = ctx.needs_input_grad[:3]
        return (*linear_grads(grad, h, weight, want_h, want_weight, want_bias, kernel=ctx.kernel), None, None)


def decoder_cross_entropy(h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Logits `h Wᵀ + b` (N, V) of `h` (N, C) and their mean cross-entropy against `targets` (N,)."""
    kernel = fast_kernel(h, weight) if torch.is_grad_enabled() else None
    if len(targets) and kernel is not None and (h.requires_grad or weight.requires_grad or bias.requires_grad):
        return _DecoderCrossEntropy.apply(h, weight, bias, targets, kernel)
    logits = linear(h, weight, bias)  # (N, V)
    return logits, F.cross_entropy(logits.float(), targets)
