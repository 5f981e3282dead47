"""Which CPU kernel multiplies an fp32 linear layer: MKL (PyTorch's default) or oneDNN, by measurement.

PyTorch sends fp32 CPU matmuls to MKL, which takes slower code paths on processors that are not
Intel's; oneDNN also ships inside PyTorch (`torch.ops.mkldnn._linear_pointwise`). Which one is faster
depends on the machine and on the shape, not on the vendor string: on an AVX-512 AMD EPYC oneDNN's
square-matmul peak was 428 GFLOP/s against MKL's ~200, on an AVX2-only EPYC 110 against 142, and
oneDNN copies transposed inputs in backward, which costs more at some shapes than at others.

So the choice is measured: the first time a layer of shape (in_features, out_features) runs with a
given number of rows (in buckets) and with or without a backward, both kernels are timed on random
operands of that shape for a few milliseconds (interleaved, best of three after a warm-up), and the
faster one is kept for the rest of the process: about 10-20 ms per shape on an idle core, a few per model. The
timing is wall-clock, best of three: on a machine busy with other processes it is noisier (and
slower), so pin the kernel there when it matters. `BERT_CORE_CPU_GEMM` overrides it:

    BERT_CORE_CPU_GEMM=auto (default) | onednn | mkl   ("blas" is accepted as a synonym of "mkl")
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .onednn import Kernel, OneDnnLinearFunction, onednn_available, onednn_linear

_SETTINGS = ("auto", "onednn", "mkl", "blas")
_FLOP_BUDGET = 2e8  # FLOPs of one timed call (~1-2 ms on an idle core): caps the rows timed...
_MIN_ROWS = 16  # ...down to this many (the MLM decoder, 6·C·V FLOPs a row, is timed on 16)
_TINY = 1 << 16  # in·out below this (a 2-class head): call overhead, not the kernel, dominates: MKL
_ROW_BUCKETS = (16, 64, 256, 1024)  # rows are rounded up to one of these for the cache key
_REPEATS = 3

_choices: dict[tuple[int, int, int, bool], Kernel] = {}
_lock = threading.Lock()


@functools.cache
def gemm_setting() -> str:
    """ "auto", "onednn" or "mkl": `BERT_CORE_CPU_GEMM`, read once per process ("mkl" without oneDNN)."""
    asked = os.environ.get("BERT_CORE_CPU_GEMM", "auto").strip().lower()
    if asked not in _SETTINGS:
        raise ValueError(f"BERT_CORE_CPU_GEMM={asked!r}: choose one of auto, onednn, mkl")
    if asked == "blas" or not onednn_available():
        return "mkl"
    return asked


def reset_gemm_choice() -> None:
    """Forget the setting and every measured choice (tests change `BERT_CORE_CPU_GEMM` between runs)."""
    gemm_setting.cache_clear()
    with _lock:
        _choices.clear()


def measured_choices() -> dict[tuple[int, int, int, bool], Kernel]:
    """A copy of what has been measured so far: (in, out, rows bucket, backward) → kernel."""
    with _lock:
        return dict(_choices)


def gemm_for(in_features: int, out_features: int, rows: int = 1024, backward: bool = False) -> Kernel:
    """ "onednn" or "mkl": the kernel for an fp32 CPU product (rows, in) · (in, out), forward only or
    forward and backward. Measured on the first call for each shape and rows bucket, then cached."""
    setting = gemm_setting()
    if setting != "auto":
        return setting
    if in_features * out_features < _TINY:
        return "mkl"
    bucket = next((b for b in _ROW_BUCKETS if rows <= b), _ROW_BUCKETS[-1])
    key = (in_features, out_features, bucket, backward)
    choice = _choices.get(key)
    if choice is None:
        with _lock:
            choice = _choices.get(key)
            if choice is None:
                choice = _choices[key] = _measure(in_features, out_features, bucket, backward)
    return choice


def _measure(in_features: int, out_features: int, rows: int, backward: bool) -> Kernel:
    """Time both kernels on (rows, in) · (in, out), forward (and backward), and return the faster
    (ties go to MKL, PyTorch's own choice)."""
    flops_per_row = 2 * in_features * out_features * (3 if backward else 1)
    rows = min(rows, max(_MIN_ROWS, int(_FLOP_BUDGET // flops_per_row)))
    with torch.inference_mode(False), torch.enable_grad() if backward else torch.no_grad():
        x = torch.rand(rows, in_features, requires_grad=backward)  # (N, in)
        weight = torch.rand(out_features, in_features, requires_grad=backward)  # (out, in)
        bias = torch.rand(out_features, requires_grad=backward)  # (out,)
        upstream = torch.rand(rows, out_features)  # (N, out)

        def run_mkl() -> None:
            y = F.linear(x, weight, bias)
            if backward:
                y.backward(upstream)

        def run_onednn() -> None:
            if backward:
                OneDnnLinearFunction.apply(x, weight, bias).backward(upstream)
            else:
                onednn_linear(x, weight, bias)

        runs: dict[Kernel, Callable[[], None]] = {"mkl": run_mkl, "onednn": run_onednn}
        best = {name: float("inf") for name in runs}
        for repeat in range(_REPEATS + 1):  # the first round warms up (thread pool, allocator, primitives)
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                if repeat:
                    best[name] = min(best[name], time.perf_counter() - start)
    return "onednn" if best["onednn"] < best["mkl"] else "mkl"
