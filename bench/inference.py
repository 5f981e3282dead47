"""Inference queries under `torch.inference_mode()`: fill-mask (logits at the [MASK]) and attention maps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from bert_core import BertConfig
from bert_core.model import rows_of

from .common import (
    VOCAB_CLS,
    VOCAB_MASK,
    VOCAB_SEP,
    interleaved,
    loadavg,
    summarise,
    twin_models,
)
from .pretrain import autocast


def query_ids(config: BertConfig, seq: int, device: torch.device, seed: int = 3) -> torch.Tensor:
    """(1, seq) ids: [CLS] words… [MASK] words… [SEP], the mask in the middle."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, config.vocab_size, (1, seq), generator=gen)
    ids[0, 0], ids[0, -1], ids[0, seq // 2] = VOCAB_CLS, VOCAB_SEP, VOCAB_MASK
    return ids.to(device)


def _repeat(fn: Callable[[], Any], inner: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(inner):
            fn()

    return run


def bench_fill_mask(
    preset: str,
    seq: int,
    *,
    device: torch.device,
    repeats: int = 9,
    warmup: int = 2,
    inner: int = 20,
    bf16: bool = False,
) -> dict[str, Any]:
    """Top-5 words at the [MASK]. bert_core decodes the mask row only (`last_rows`); transformers
    computes (1, T, V) logits and indexes the mask row, as its fill-mask pipeline does."""
    config = BertConfig.from_preset(preset)
    models = {k: m.eval() for k, m in twin_models("BertForMaskedLM", config, ("sdpa", "eager"), device).items()}
    ids = query_ids(config, seq, device)
    where = ids == VOCAB_MASK

    def ours() -> torch.Tensor:
        with torch.inference_mode(), autocast(device, bf16):
            model = models["bert_core"]
            rows, valid = rows_of(where)  # (1, 1)
            hidden = model.bert(ids, last_rows=rows).last_hidden_state[valid]  # (1, C): last layer on the mask row
            return model.cls.predictions(hidden).topk(5).indices

    def theirs(name: str) -> Callable[[], torch.Tensor]:
        def query() -> torch.Tensor:
            with torch.inference_mode(), autocast(device, bf16):
                return models[name](input_ids=ids).logits[where].topk(5).indices

        return query

    same = torch.equal(ours(), theirs("hf_eager")())
    fns = {
        "bert_core": _repeat(ours, inner),
        "hf_sdpa": _repeat(theirs("hf_sdpa"), inner),
        "hf_eager": _repeat(theirs("hf_eager"), inner),
    }
    times = interleaved(fns, repeats=repeats, warmup=warmup, device=device)
    times = {k: [t / inner for t in ts] for k, ts in times.items()}
    result = summarise(times, 1.0, "queries_per_s", ("hf_eager", "hf_sdpa"))
    result.update(preset=preset, batch=1, seq=seq, same_top5=same, loadavg=loadavg())
    return result


def bench_attentions(
    preset: str,
    seq: int,
    *,
    device: torch.device,
    repeats: int = 9,
    warmup: int = 2,
    inner: int = 10,
    bf16: bool = False,
) -> dict[str, Any]:
    """All layers' attention probabilities (L × (1, nh, T, T)); transformers needs eager for them.

    bert_core runs `BertModel.attention_maps` (the last layer stops at its softmax, no pooler);
    transformers runs its whole forward with `output_attentions=True`, its only way to the maps.
    """
    config = BertConfig.from_preset(preset)
    models = {k: m.eval() for k, m in twin_models("BertModel", config, ("eager",), device).items()}
    ids = query_ids(config, seq, device)

    def query(name: str) -> Callable[[], tuple[torch.Tensor, ...]]:
        def run() -> tuple[torch.Tensor, ...]:
            with torch.inference_mode(), autocast(device, bf16):
                if name == "bert_core":  # what the attention page calls: no work past the last softmax
                    return models[name].attention_maps(ids)
                return models[name](input_ids=ids, output_attentions=True).attentions

        return run

    a, b = query("bert_core")(), query("hf_eager")()
    max_diff = max(float((x - y).abs().max()) for x, y in zip(a, b))
    times = interleaved({k: _repeat(query(k), inner) for k in models}, repeats=repeats, warmup=warmup, device=device)
    times = {k: [t / inner for t in ts] for k, ts in times.items()}
    result = summarise(times, 1.0, "queries_per_s", ("hf_eager",))
    result.update(preset=preset, batch=1, seq=seq, max_abs_diff=max_diff, loadavg=loadavg())
    return result
