"""Train a tiny BERT for a few steps; run plainly or under `torchrun` (see tests/test_distributed.py).

Usage: ddp_train.py OUT.safetensors GLOBAL_BATCH
Each rank takes GLOBAL_BATCH / world_size rows. Rank 0 gathers every rank's parameters, checks they are
identical, and writes its own to OUT.
"""

from __future__ import annotations

import sys

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from bert_core import BertConfig, BertForPreTraining
from bert_core.distributed import cleanup, init_distributed
from bert_core.pretraining.dataset import PretrainingDataset
from bert_core.pretraining.task import PretrainingTask
from bert_core.training import Trainer, TrainingArguments


def main() -> None:
    out, global_batch = sys.argv[1], int(sys.argv[2])
    gen = torch.Generator().manual_seed(0)
    docs = [
        [
            (
                torch.randint(5, 80, (int(torch.randint(4, 12, (1,), generator=gen)),), generator=gen).tolist(),
                [True] * 20,
            )
            for _ in range(6)
        ]
        for _ in range(12)
    ]
    docs = [[(ids, starts[: len(ids)]) for ids, starts in doc] for doc in docs]
    dataset = PretrainingDataset(
        docs, max_seq_length=32, vocab_size=80, cls_id=2, sep_id=3, pad_id=0, mask_id=4, random_token_low=5
    )
    torch.manual_seed(0)
    model = BertForPreTraining(
        BertConfig(
            vocab_size=80,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=32,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
        )
    )
    args = TrainingArguments(max_steps=4, learning_rate=1e-3, warmup_steps=1, device="cpu")
    info = init_distributed("cpu")
    task = PretrainingTask(dataset, batch_size=global_batch // info.world_size)
    trainer = Trainer(model, task, args, dist_info=info)
    trainer.train()
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    if trainer.dist.enabled:
        gathered = [torch.empty_like(flat) for _ in range(trainer.dist.world_size)]
        dist.all_gather(gathered, flat)
        if trainer.dist.is_main:
            for other in gathered[1:]:
                assert torch.equal(other, gathered[0]), "ranks diverged"
    if trainer.dist.is_main:
        save_file({k: v.contiguous() for k, v in model.state_dict().items() if k not in model.tied_keys}, out)
    cleanup()


if __name__ == "__main__":
    main()
