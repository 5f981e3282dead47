"""The training-memory estimate: its parts, its scaling, its message, and measured peaks within 30%."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bert_core import BertConfig
from bert_core.memory import estimate_training_memory, refusal

ROOT = Path(__file__).resolve().parent.parent


def test_the_parts_follow_the_parameters_and_the_batch(tiny_config: BertConfig) -> None:
    one = estimate_training_memory(tiny_config, batch_size=1, seq_len=32)
    eight = estimate_training_memory(tiny_config, batch_size=8, seq_len=32)
    params = one.weights // 4
    assert one.gradients == 4 * params and one.optimizer == 8 * params
    assert eight.activations == pytest.approx(8 * one.activations, rel=1e-4)
    assert estimate_training_memory(tiny_config, batch_size=1, seq_len=64).activations > one.activations
    half = estimate_training_memory(tiny_config, batch_size=1, seq_len=32, frozen_fraction=0.5)
    assert half.optimizer == pytest.approx(one.optimizer / 2, abs=8) and half.weights == one.weights
    assert one.total == one.weights + one.gradients + one.optimizer + one.activations + one.overhead


@pytest.mark.parametrize("task", ["sentiment", "qa"])
def test_fine_tuning_tasks_are_estimated_too(tiny_config: BertConfig, task: str) -> None:
    assert estimate_training_memory(tiny_config, task=task, batch_size=2, seq_len=16).activations > 0


def test_a_run_that_cannot_fit_is_refused_with_the_estimate(tiny_config: BertConfig) -> None:
    estimate = estimate_training_memory(tiny_config, batch_size=4, seq_len=32)
    assert refusal(estimate, available=estimate.total + 1) is None
    message = refusal(estimate, available=estimate.total // 2)
    assert message is not None and "Lower the batch size" in message and "4 × 32 tokens" in message
    with pytest.raises(ValueError, match="batch_size"):
        estimate_training_memory(tiny_config, batch_size=0, seq_len=32)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "preset", "batch", "seq"),
    [("pretrain", "tiny", 16, 64), ("pretrain", "mini", 8, 512), ("qa", "mini", 16, 384)],
)
def test_the_estimate_is_within_30_percent_of_the_measured_peak(task: str, preset: str, batch: int, seq: int) -> None:
    cmd = [sys.executable, "-m", "bench.memory_estimate", "--one", task, preset, str(batch), str(seq)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    r = json.loads(done.stdout.splitlines()[-1])
    assert 0.7 <= r["estimate_mib"] / r["measured_mib"] <= 1.3, r
