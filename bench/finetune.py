"""Fine-tuning step for sequence classification (forward + backward + AdamW): bert_core vs transformers."""

from __future__ import annotations

from typing import Any

import torch

from bert_core import BertConfig

from .common import interleaved, loadavg, summarise, twin_models
from .flops import finetune_step_flops
from .pretrain import autocast, make_optimizer


def classification_batch(
    config: BertConfig, batch: int, seq: int, device: torch.device, seed: int = 2
) -> dict[str, torch.Tensor]:
    """A padded single-sentence batch (lengths uniform in [seq/2, seq], one full row) with 0/1 labels."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(seq // 2, seq + 1, (batch,), generator=gen)
    lengths[0] = seq
    attention_mask = (torch.arange(seq)[None, :] < lengths[:, None]).long()
    input_ids = torch.randint(1000, config.vocab_size, (batch, seq), generator=gen)
    input_ids[:, 0] = 101
    input_ids = input_ids.masked_fill(attention_mask == 0, 0)
    labels = torch.randint(0, config.num_labels, (batch,), generator=gen)
    out = dict(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    return {k: v.to(device) for k, v in out.items()}


def bench_finetuning(
    preset: str,
    *,
    device: torch.device,
    batch: int = 32,
    seq: int = 128,
    repeats: int = 7,
    warmup: int = 2,
    bf16: bool = False,
    optimizer: str = "default",
    sides: tuple[str, ...] = ("sdpa", "eager"),
) -> dict[str, Any]:
    config = BertConfig.from_preset(preset)
    models = twin_models("BertForSequenceClassification", config, sides, device)
    data = classification_batch(config, batch, seq, device)

    def make_step(model: torch.nn.Module):
        model.train()
        opt = make_optimizer(model, optimizer)

        def step() -> None:
            with autocast(device, bf16):
                loss = model(**data).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        return step

    times = interleaved({n: make_step(m) for n, m in models.items()}, repeats=repeats, warmup=warmup, device=device)
    real_tokens = int(data["attention_mask"].sum())
    result = summarise(times, batch * seq, "tokens_per_s", tuple(f"hf_{a}" for a in sides))
    result.update(
        preset=preset,
        batch=batch,
        seq=seq,
        real_tokens=real_tokens,
        bf16=bf16,
        optimizer=optimizer,
        flops_per_step=finetune_step_flops(config, batch, seq, config.num_labels),
        loadavg=loadavg(),
    )
    return result
