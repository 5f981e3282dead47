"""Device and precision choice: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

import torch


def pick_device(preference: str = "auto") -> torch.device:
    """`auto` picks CUDA, then MPS, then CPU; otherwise the named device (`cpu`, `cuda`, `cuda:1`, `mps`).

    Raises:
        ValueError: when the named device is not available here.
    """
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {preference!r} asked for, but CUDA is not available on this machine")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {preference!r} asked for, but MPS is not available on this machine")
    return device


def describe_device(device: torch.device) -> str:
    """A short human label, e.g. `CUDA: NVIDIA H100 (80 GB)` or `CPU (2 threads)`."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"CUDA: {props.name} ({props.total_memory / 2**30:.0f} GB)"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def resolve_precision(precision: str, device: torch.device) -> str:
    """`auto` → bf16 on CUDA when supported, else fp16 on CUDA, fp32 elsewhere.

    Raises:
        ValueError: for an unknown name, or fp16 off CUDA.
    """
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {precision!r}")
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(f"fp16 mixed precision needs a CUDA device, not {device.type}")
    return precision


def autocast(precision: str, device: torch.device) -> AbstractContextManager:
    """The autocast context for a resolved precision (a no-op for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)
