"""Peak memory of one training step or query, one side per fresh process (so RSS is not shared).

Run as `python -m bench.memory --side bert_core|hf_sdpa|hf_eager --task pretrain|finetune|fill_mask
--preset mini`; prints one JSON line. `run_all` starts one such process per side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import torch


def _status_mib(field: str) -> float:
    """`VmRSS` (now) or `VmHWM` (peak) of this process. Not `ru_maxrss`: Linux carries that over
    from the parent across fork + exec, so a child would report the benchmark runner's peak."""
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(side: str, task: str, preset: str, device: torch.device, batch: int, seq: int, steps: int) -> dict:
    from bert_core import BertConfig
    from bert_core.model import rows_of

    from .common import pretraining_batch, twin_models
    from .finetune import classification_batch
    from .pretrain import autocast

    config = BertConfig.from_preset(preset)
    attns = () if side == "bert_core" else (side.removeprefix("hf_"),)
    name = {
        "pretrain": "BertForPreTraining",
        "finetune": "BertForSequenceClassification",
        "fill_mask": "BertForMaskedLM",
    }[task]
    if side == "bert_core":
        model = twin_models(name, config, (), device)[side]
    else:  # only the one model in this process (weight values don't change memory)
        import transformers

        from .common import hf_config

        model = getattr(transformers, name)(hf_config(config, attns[0])).to(device)
    bf16 = device.type == "cuda"
    if task == "pretrain":
        data = pretraining_batch(config, batch, seq, device)
        data["attention_mask"] = None
    elif task == "finetune":
        data = classification_batch(config, batch, seq, device)
    else:
        data = {"input_ids": torch.full((1, seq), 2000, device=device)}
        data["input_ids"][0, seq // 2] = 103
    before = _status_mib("VmRSS")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    if task == "fill_mask":
        model.eval()
        with torch.inference_mode(), autocast(device, bf16):
            for _ in range(steps):
                if side == "bert_core":
                    rows, valid = rows_of(data["input_ids"] == 103)  # (1, 1)
                    hidden = model.bert(data["input_ids"], last_rows=rows).last_hidden_state[valid]  # (1, C)
                    model.cls.predictions(hidden)
                else:
                    model(**data).logits[data["input_ids"] == 103]
    else:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        for _ in range(steps):
            with autocast(device, bf16):
                loss = model(**data).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    out: dict[str, Any] = {
        "side": side,
        "task": task,
        "preset": preset,
        "rss_before_mib": before,
        "peak_rss_mib": _status_mib("VmHWM"),
    }
    out["peak_minus_before_mib"] = out["peak_rss_mib"] - before
    if device.type == "cuda":
        out["cuda_max_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    return out


def in_subprocess(side: str, task: str, preset: str, device: str, batch: int, seq: int, steps: int) -> dict:
    """`measure` in a fresh interpreter (fair RSS: nothing else allocated in it)."""
    cmd = [
        sys.executable,
        "-m",
        "bench.memory",
        "--side",
        side,
        "--task",
        task,
        "--preset",
        preset,
        "--device",
        device,
        "--batch",
        str(batch),
        "--seq",
        str(seq),
        "--steps",
        str(steps),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", required=True, choices=["bert_core", "hf_sdpa", "hf_eager"])
    parser.add_argument("--task", default="pretrain", choices=["pretrain", "finetune", "fill_mask"])
    parser.add_argument("--preset", default="mini")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(
        json.dumps(
            measure(args.side, args.task, args.preset, torch.device(args.device), args.batch, args.seq, args.steps)
        )
    )


if __name__ == "__main__":
    main()
