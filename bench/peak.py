"""The machine's measured matmul peak: large square matmuls, median FLOP/s (fp32 on CPU, bf16 on CUDA)."""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from .common import sync


def matmul_peak(device: torch.device, dtype: torch.dtype, sizes: tuple[int, ...] = (1024, 2048, 4096),
                repeats: int = 7) -> dict[str, Any]:
    """Median FLOP/s of `n × n @ n × n` for each size; the peak is the best of those medians."""
    per_size: dict[str, float] = {}
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        out = torch.empty(n, n, device=device, dtype=dtype)
        torch.mm(a, b, out=out)  # warm-up (thread pool, allocator)
        sync(device)
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            torch.mm(a, b, out=out)
            sync(device)
            rates.append(2 * n**3 / (time.perf_counter() - start))
        per_size[str(n)] = statistics.median(rates)
    return {"dtype": str(dtype).replace("torch.", ""), "per_size_flops": per_size,
            "peak_flops": max(per_size.values())}


def peak_probe(device: torch.device, dtype: torch.dtype, n: int = 2048, calls: int = 3):
    """A callable that times `calls` n×n matmuls and returns their median FLOP/s (for interleaving)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    out = torch.empty(n, n, device=device, dtype=dtype)

    def probe() -> float:
        rates = []
        for _ in range(calls):
            sync(device)
            start = time.perf_counter()
            torch.mm(a, b, out=out)
            sync(device)
            rates.append(2 * n**3 / (time.perf_counter() - start))
        return statistics.median(rates)

    return probe
