"""Pretraining step (forward + backward + AdamW) tokens/s: bert_core vs transformers (sdpa and eager)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch

from bert_core import BertConfig
from bert_core.training import decay_groups

from .common import interleaved, loadavg, pretraining_batch, summarise, twin_models
from .flops import bert_core_executed_pretraining_flops, pretraining_step_flops


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast when asked (always on CUDA), else a no-op."""
    if bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_optimizer(model: torch.nn.Module, kind: str) -> torch.optim.Optimizer:
    """AdamW over bert_core's weight-decay groups (what `bert_core.training.Trainer` builds).

    `kind`: "default" (PyTorch's choice, the trainer's setting) or "fused" (one kernel per tensor).
    """
    extra = {"fused": True} if kind == "fused" else {}
    return torch.optim.AdamW(decay_groups(model, 0.01), lr=1e-4, **extra)


def train_step(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], device: torch.device, bf16: bool, optimizer: str = "default"
) -> Callable[[], None]:
    """One optimiser step of `model` on `batch`: what a training loop does, nothing skipped.

    Both sides get `attention_mask=None` (nothing is padded) and the same labels; bert_core then
    decodes only the masked positions (its default with labels), transformers decodes all of them.
    """
    model.train()
    opt = make_optimizer(model, optimizer)

    def step() -> None:
        with autocast(device, bf16):
            loss = model(**batch, attention_mask=None).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def bench_pretraining(
    preset: str,
    *,
    device: torch.device,
    batch: int = 32,
    seq: int = 128,
    repeats: int = 7,
    warmup: int = 2,
    bf16: bool = False,
    optimizer: str = "default",
    peak_fn: Callable[[], float] | None = None,
    sides: tuple[str, ...] = ("sdpa", "eager"),
    compile: bool = False,
) -> dict[str, Any]:
    """Tokens/s of each side, ratios, and MFU. `compile`: `torch.compile` every side's model.

    `peak_fn` (optional) runs one matmul-peak probe and returns FLOP/s; it is timed in the same
    interleaved rounds, so each round's MFU divides by a peak measured under that round's load.
    """
    config = BertConfig.from_preset(preset)
    models = twin_models("BertForPreTraining", config, sides, device)
    if compile:
        models = {name: torch.compile(model) for name, model in models.items()}
    data = pretraining_batch(config, batch, seq, device)
    steps: dict[str, Callable[[], Any]] = {
        name: train_step(model, data, device, bf16, optimizer) for name, model in models.items()
    }
    peaks: list[float] = []
    if peak_fn is not None:
        steps["_peak"] = lambda: peaks.append(peak_fn())
    times = interleaved(steps, repeats=repeats, warmup=warmup, device=device)
    times.pop("_peak", None)
    peaks = peaks[-repeats:]
    tokens = batch * seq
    masked = int((data["labels"] != -100).sum())
    result = summarise(times, tokens, "tokens_per_s", tuple(f"hf_{a}" for a in sides))
    flops = pretraining_step_flops(config, batch, seq, masked)
    last_rows = 1 + int((data["labels"] != -100).sum(1).max())
    executed = bert_core_executed_pretraining_flops(config, batch, seq, masked, last_rows)
    result.update(
        preset=preset,
        batch=batch,
        seq=seq,
        masked=masked,
        bf16=bf16,
        optimizer=optimizer,
        compile=compile,
        useful_flops_per_step=flops,
        bert_core_executed_flops_per_step=executed,
        loadavg=loadavg(),
    )
    if peaks:
        import statistics

        result["peak_flops_in_rounds"] = statistics.median(peaks)
        result["mfu"] = {
            name: statistics.median(flops / t / p for t, p in zip(ts, peaks)) for name, ts in times.items()
        }
        # Hardware utilisation of bert_core: the FLOPs it really runs (its last layer is partial).
        result["bert_core_hfu"] = statistics.median(executed / t / p for t, p in zip(times["bert_core"], peaks))
    return result
