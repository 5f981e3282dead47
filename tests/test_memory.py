"""The training-memory estimate: its parts, its scaling, its message, and measured peaks within 30%."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bert_core.memory as memory
from bert_core import BertConfig
from bert_core.cli import main
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


def test_the_cli_refuses_a_run_that_cannot_fit_before_reading_the_corpus(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda device=None: 50 * 2**20)  # 50 MB left
    out = tmp_path / "run"
    code = main(["pretrain", "--corpus", str(tmp_path / "missing.txt"), "--preset", "small", "--out", str(out)])
    assert code == 2
    message = capsys.readouterr().err
    assert "would need about" in message and "only 52 MB of memory is free" in message  # not "corpus not found"
    assert not out.exists()


def test_the_pretrain_page_refuses_it_and_starts_nothing(env, monkeypatch) -> None:
    from apptest_helpers import APP, go, ok, owner_of
    from streamlit.testing.v1 import AppTest

    from explorer import state
    from explorer.jobs.registry import job_registry

    monkeypatch.setattr(memory, "available_memory", lambda device=None: 50 * 2**20)
    at = go(ok(AppTest.from_file(APP, default_timeout=120).run()), "pretrain")
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert job_registry().get(owner_of(at)) is None
    assert any("Cannot start: This run would need about" in e.value for e in at.error)


def test_fine_tuning_is_refused_too_from_the_cli_and_the_page(env, monkeypatch, capsys) -> None:
    from apptest_helpers import APP, go, ok, owner_of
    from streamlit.testing.v1 import AppTest

    from explorer import state
    from explorer.jobs.registry import job_registry

    monkeypatch.setattr(memory, "available_memory", lambda device=None: 50 * 2**20)
    assert main(["finetune", "--task", "sentiment", "--out", str(env / "ft")]) == 2
    assert "would need about" in capsys.readouterr().err
    at = go(ok(AppTest.from_file(APP, default_timeout=120).run()), "finetune")
    ok(at.button(key=state.FT_START).click().run())
    assert job_registry().get(owner_of(at)) is None
    assert any("Cannot start: This run would need about" in e.value for e in at.error)
