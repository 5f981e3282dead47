"""What every benchmark shares: twin models on identical weights, inputs, interleaved timing, machine info."""

from __future__ import annotations

import copy
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

import bert_core
from bert_core import BertConfig

VOCAB_PAD, VOCAB_CLS, VOCAB_SEP, VOCAB_MASK = 0, 101, 102, 103  # uncased BERT vocabulary ids


def hf_config(config: BertConfig, attn: str):
    """A `transformers.BertConfig` from ours. Deep-copied: transformers mutates the config it is given."""
    import transformers

    return transformers.BertConfig(**copy.deepcopy(config.to_dict()), attn_implementation=attn)


def twin_models(
    name: str, config: BertConfig, attns: tuple[str, ...], device: torch.device, seed: int = 0
) -> dict[str, torch.nn.Module]:
    """`bert_core.<name>` and `transformers.<name>` (one per attention implementation) on one state dict.

    Returns {"bert_core": model, "hf_sdpa": model, "hf_eager": model, ...}; every model is loaded
    with `strict=True` from the bert_core state dict (the key names are identical).
    """
    import transformers

    torch.manual_seed(seed)
    ours = getattr(bert_core, name)(config)
    state = ours.state_dict()
    models: dict[str, torch.nn.Module] = {"bert_core": ours.to(device)}
    for attn in attns:
        theirs = getattr(transformers, name)(hf_config(config, attn))
        theirs.load_state_dict(state, strict=True)
        models[f"hf_{attn}"] = theirs.to(device)
    return models


def pretraining_batch(
    config: BertConfig, batch: int, seq: int, device: torch.device, seed: int = 1, mask_prob: float = 0.15
) -> dict[str, torch.Tensor]:
    """A full-length (unpadded) NSP pair batch with 15% of the non-special tokens masked.

    Exactly round(mask_prob * tokens) positions per sequence are masked, so every step decodes the
    same number of positions. Labels are -100 at unmasked positions (the loss ignores them).
    """
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, config.vocab_size, (batch, seq), generator=gen)
    half = seq // 2
    ids[:, 0], ids[:, half - 1], ids[:, -1] = VOCAB_CLS, VOCAB_SEP, VOCAB_SEP
    token_type_ids = (torch.arange(seq) >= half).long().expand(batch, seq).contiguous()
    special = (ids == VOCAB_CLS) | (ids == VOCAB_SEP)
    n_mask = max(1, round(mask_prob * seq))
    scores = torch.rand(batch, seq, generator=gen).masked_fill(special, 2.0)
    chosen = scores.argsort(dim=1)[:, :n_mask]  # (B, n_mask) random non-special positions
    masked = torch.zeros(batch, seq, dtype=torch.bool).scatter_(1, chosen, True)
    labels = torch.where(masked, ids, torch.full_like(ids, -100))
    input_ids = ids.masked_fill(masked, VOCAB_MASK)
    nsp = torch.randint(0, 2, (batch,), generator=gen)
    out = dict(input_ids=input_ids, token_type_ids=token_type_ids, labels=labels, next_sentence_label=nsp)
    return {k: v.to(device) for k, v in out.items()}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def interleaved(
    fns: dict[str, Callable[[], Any]], *, repeats: int, warmup: int, device: torch.device
) -> dict[str, list[float]]:
    """Time each fn `repeats` times, round-robin (A B C A B C …), so load noise hits all alike.

    Returns seconds per call for each name. `warmup` untimed rounds go first.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync(device)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return times


def summarise(times: dict[str, list[float]], work: float, unit: str, baselines: tuple[str, ...]) -> dict[str, Any]:
    """Medians (and the spread) of `work / time` per side, and bert_core's ratio against each baseline.

    Ratios are medians of per-round ratios (rounds are interleaved, so each ratio compares runs that
    saw the same machine load), which is steadier than a ratio of medians on a shared machine.
    """
    out: dict[str, Any] = {"unit": unit, "sides": {}, "ratios": {}}
    for name, ts in times.items():
        rates = [work / t for t in ts]
        out["sides"][name] = {
            "median_s": statistics.median(ts),
            "min_s": min(ts),
            "max_s": max(ts),
            f"median_{unit}": statistics.median(rates),
            "runs": len(ts),
        }
    for base in baselines:
        if base in times:
            per_round = [b / a for a, b in zip(times["bert_core"], times[base])]
            out["ratios"][f"bert_core_vs_{base}"] = statistics.median(per_round)
            # Best-of-N times are the least disturbed by other processes: a second opinion on the ratio.
            out["ratios_of_best"] = out.get("ratios_of_best", {})
            out["ratios_of_best"][f"bert_core_vs_{base}"] = min(times[base]) / min(times["bert_core"])
    return out


def machine_info(device: torch.device) -> dict[str, Any]:
    """CPU model, threads, versions, load average (and the GPU when on CUDA)."""
    import transformers

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = next((ln for ln in handle if ln.startswith("flags")), "")
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "avx512_bf16": "avx512_bf16" in flags,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "loadavg": list(os.getloadavg()),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
