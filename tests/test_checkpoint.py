"""Run directories: atomic checkpoints (even under SIGKILL), pruning, optimizer state, metrics log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from bert_core import BertConfig, BertForPreTraining
from bert_core.checkpoint import (
    RunDirectory,
    optimizer_state_from_tensors,
    optimizer_state_to_tensors,
    resolve_model_dir,
)

WRITER = Path(__file__).parent / "scripts" / "checkpoint_writer.py"


def tiny(tiny_config: BertConfig) -> BertForPreTraining:
    return BertForPreTraining(tiny_config)


def test_keeps_the_newest_checkpoints(tiny_config: BertConfig, tmp_path: Path) -> None:
    run = RunDirectory(tmp_path, keep_last=2)
    model = tiny(tiny_config)
    for step in (10, 20, 30):
        run.save_checkpoint(step, model)
    assert [p.name for p in run.checkpoints()] == ["checkpoint-20", "checkpoint-30"]
    assert resolve_model_dir(tmp_path) == tmp_path / "checkpoint-30"
    assert RunDirectory.load_trainer_state(run.latest_checkpoint())[0]["step"] == 30


def test_a_failed_write_leaves_the_previous_checkpoint(tiny_config: BertConfig, tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    model = tiny(tiny_config)
    run.save_checkpoint(1, model)

    class BrokenTokenizer:
        def save_pretrained(self, path: Path) -> None:
            (Path(path) / "vocab.txt").write_text("[PAD]\n")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run.save_checkpoint(2, model, BrokenTokenizer())
    assert [p.name for p in run.checkpoints()] == ["checkpoint-1"]
    BertForPreTraining.from_pretrained(tmp_path)
    run.save_checkpoint(3, model)  # the leftover temporary directory is cleaned up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-1", "checkpoint-3"]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 1.7, 2.9])
def test_sigkill_mid_write_never_corrupts_a_checkpoint(tmp_path: Path, delay: float) -> None:
    proc = subprocess.Popen([sys.executable, str(WRITER), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # wait until at least one checkpoint is complete
    assert first.strip() == "1"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    run = RunDirectory(tmp_path)
    checkpoints = run.checkpoints()
    assert checkpoints, "the completed checkpoint must survive"
    for path in checkpoints:
        model = BertForPreTraining.from_pretrained(path)
        step, optimizer = RunDirectory.load_trainer_state(path)
        assert model.bert.embeddings.word_embeddings.weight[0, 0].item() == float(step["step"])
        assert optimizer is not None and len(optimizer["state"]) > 0


def test_optimizer_state_round_trips_exactly(tiny_config: BertConfig) -> None:
    model = tiny(tiny_config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(2):
        model(torch.randint(5, 99, (2, 5))).prediction_logits.sum().backward()
        optimizer.step()
    tensors, meta = optimizer_state_to_tensors(optimizer.state_dict())
    json.dumps(meta)  # primitives only
    restored = torch.optim.AdamW(model.parameters(), lr=1e-3)
    restored.load_state_dict(optimizer_state_from_tensors(tensors, json.loads(json.dumps(meta))))
    for index, entries in optimizer.state_dict()["state"].items():
        for name, value in entries.items():
            assert torch.equal(restored.state_dict()["state"][index][name], value)


def test_metrics_log_skips_a_torn_line_and_truncates(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    for step in range(1, 6):
        run.append_metrics({"step": step, "loss": 1.0 / step})
    with open(tmp_path / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 6, "lo')  # a crash mid-line
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4, 5]
    run.truncate_metrics(3)
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3]


def test_run_info_merges_and_survives_garbage(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    run.update_info(corpus="builtin:lee", seed=1)
    assert run.update_info(status="finished")["corpus"] == "builtin:lee"
    (tmp_path / "run.json").write_text("{broken")
    assert run.read_info() == {}


def test_resolve_model_dir_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither a model directory"):
        resolve_model_dir(tmp_path)
