"""Write checkpoints of a model in a loop until killed (tests/test_checkpoint.py SIGKILLs it mid-write)."""

from __future__ import annotations

import sys

import torch

from bert_core import BertConfig, BertForPreTraining
from bert_core.checkpoint import RunDirectory


def main() -> None:
    run = RunDirectory(sys.argv[1], keep_last=2)
    model = BertForPreTraining(BertConfig.from_preset("mini", vocab_size=8000))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randint(5, 8000, (2, 16))).prediction_logits.sum().backward()
    optimizer.step()
    step = 0
    while True:
        step += 1
        with torch.no_grad():
            model.bert.embeddings.word_embeddings.weight[0, 0] = float(step)  # each checkpoint is distinguishable
        run.save_checkpoint(step, model, None, {"note": "test"}, optimizer.state_dict())
        print(step, flush=True)


if __name__ == "__main__":
    main()
