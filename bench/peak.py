"""The machine's measured matmul peak: large square matmuls, median FLOP/s (fp32 on CPU, bf16 on CUDA).

On the CPU two kernels are measured, the default BLAS (`torch.mm`, MKL in PyTorch's x86 builds) and
oneDNN (what `bert_core.kernels` can use; see `bert_core.kernels.gemm`): the peak is the faster one, so an MFU is
always against the best product this machine can run from PyTorch, not the one bert_core happens to use.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from bert_core.kernels import onednn_available

from .common import sync

Product = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Any]


def _products(device: torch.device, dtype: torch.dtype) -> dict[str, Product]:
    """name → fn(a, b, out) computing an n×n·n×n product (2n³ FLOPs)."""
    fns: dict[str, Product] = {"torch.mm": lambda a, b, out: torch.mm(a, b, out=out)}
    if device.type == "cpu" and dtype == torch.float32 and onednn_available():
        fns["onednn"] = lambda a, b, out: torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], "")
    return fns


def _rate(fn: Product, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor, device: torch.device) -> float:
    n = a.size(0)
    sync(device)
    start = time.perf_counter()
    fn(a, b, out)
    sync(device)
    return 2 * n**3 / (time.perf_counter() - start)


def _operands(n: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    return tuple(torch.randn(n, n, device=device, dtype=dtype) for _ in range(2)) + (
        torch.empty(n, n, device=device, dtype=dtype),
    )


def matmul_peak(
    device: torch.device, dtype: torch.dtype, sizes: tuple[int, ...] = (1024, 2048, 4096), repeats: int = 7
) -> dict[str, Any]:
    """Median FLOP/s of `n × n @ n × n` for each size and kernel; the peak is the best of those medians."""
    per_size: dict[str, float] = {}
    per_kernel: dict[str, dict[str, float]] = {}
    for name, fn in _products(device, dtype).items():
        per_kernel[name] = {}
        for n in sizes:
            a, b, out = _operands(n, device, dtype)
            fn(a, b, out)  # warm-up (thread pool, allocator, kernel selection)
            per_kernel[name][str(n)] = statistics.median(_rate(fn, a, b, out, device) for _ in range(repeats))
            per_size[str(n)] = max(per_size.get(str(n), 0.0), per_kernel[name][str(n)])
    best = max(per_kernel, key=lambda k: max(per_kernel[k].values()))
    return {
        "dtype": str(dtype).replace("torch.", ""),
        "per_size_flops": per_size,
        "per_kernel_flops": per_kernel,
        "peak_kernel": best,
        "peak_flops": max(per_size.values()),
    }


def peak_probe(
    device: torch.device, dtype: torch.dtype, n: int = 2048, calls: int = 3, kernel: str = "torch.mm"
) -> Callable[[], float]:
    """A callable that times `calls` n×n products on `kernel` and returns their median FLOP/s (for
    interleaving with the timed work, so each round's MFU divides by a peak measured under its load)."""
    fn = _products(device, dtype)[kernel]
    a, b, out = _operands(n, device, dtype)

    def probe() -> float:
        return statistics.median(_rate(fn, a, b, out, device) for _ in range(calls))

    return probe
