"""The memory estimate (`bert_core.memory`) against measured peaks, one fresh process per size.

    python -m bench.memory_estimate            # a table: size → estimate, measured peak growth, ratio

The measured figure is the growth of the process's peak RSS (`VmHWM`) from just before the model is
built to after three training steps (forward, backward, AdamW) on a full-length batch.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

SIZES = [
    ("pretrain", "tiny", 16, 64),
    ("pretrain", "tiny", 64, 128),
    ("pretrain", "mini", 32, 128),
    ("pretrain", "mini", 8, 512),
    ("pretrain", "small", 32, 128),
    ("pretrain", "medium", 16, 128),
    ("sentiment", "mini", 32, 128),
    ("qa", "mini", 16, 384),
]


def measure(task: str, preset: str, batch: int, seq: int) -> dict[str, float]:
    """Peak RSS growth of three training steps, in this (fresh) process."""
    import torch

    from bert_core import BertConfig
    from bert_core.memory import _model, _one_sequence, estimate_training_memory

    def status(field: str) -> int:
        with open("/proc/self/status", encoding="utf-8") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field + ":"))

    torch.set_num_threads(1)
    config = BertConfig.from_preset(preset)
    one = _one_sequence(config, task, seq, min(20, round(0.15 * seq)))
    data = {k: v.expand(batch, *v.shape[1:]).contiguous() for k, v in one.items()}
    import gc

    gc.collect()
    before = status("VmRSS")
    hwm_before = status("VmHWM")
    model = _model(config, task).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    for _ in range(3):
        model(**data).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    peak = status("VmHWM")
    estimate = estimate_training_memory(config, task=task, batch_size=batch, seq_len=seq)  # after: not warming up
    return {
        "task": task,
        "preset": preset,
        "batch": batch,
        "seq": seq,
        "estimate_mib": estimate.total / 2**20,
        "measured_mib": (peak - before) / 2**20,
        "hwm_before_mib": hwm_before / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=4, metavar=("TASK", "PRESET", "BATCH", "SEQ"))
    args = parser.parse_args()
    if args.one:
        task, preset, batch, seq = args.one
        print(json.dumps(measure(task, preset, int(batch), int(seq))))
        return
    print("| task | size | batch × tokens | estimate | measured | estimate / measured |\n|---|---|---|---|---|---|")
    for task, preset, batch, seq in SIZES:
        cmd = [sys.executable, "-m", "bench.memory_estimate", "--one", task, preset, str(batch), str(seq)]
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        ratio = r["estimate_mib"] / r["measured_mib"]
        size = f"| {task} | {preset} | {batch} × {seq} "
        print(f"{size}| {r['estimate_mib']:.0f} MiB | {r['measured_mib']:.0f} MiB | {ratio:.2f} |")


if __name__ == "__main__":
    main()
