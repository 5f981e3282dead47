"""The background job registry: a tiny run trains in a thread, observes itself, stops and resumes."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from bert_core.pretraining_setup import PretrainSpec
from bert_core.training import TrainingArguments
from explorer.jobs import JobConfig, JobError, JobRegistry, resume_config


def tiny_config(name: str, steps: int = 8, **spec_kw) -> JobConfig:
    spec = PretrainSpec(corpus="builtin:lee", preset="tiny", vocab="train", vocab_size=500, max_seq_length=32,
                        batch_size=8, cache_dir="", **spec_kw)
    args = TrainingArguments(max_steps=steps, learning_rate=1e-3, warmup_steps=1, save_every=4, device="cpu")
    return JobConfig(name, spec, args, probes=["the [MASK] said .", "no mask here"], probe_every=2)


def wait_for(job, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = job.view()
        if predicate(view):
            return view
        time.sleep(0.05)
    raise AssertionError(f"timed out; last view status={view.status} step={view.step} message={view.message}")


def test_job_trains_observes_and_finishes(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1)
    job = registry.start("s1", tiny_config("run-a"), tmp_path)
    assert job.join(120)
    view = job.view()
    assert view.status == "finished", view.message
    assert [m["step"] for m in view.metrics] == list(range(1, 9))
    assert view.vocab_size and view.vocab_size <= 500
    # probes at step 1 and every 2 steps, plus the end (step 8 already recorded once)
    assert [p.step for p in view.probes] == [1, 2, 4, 6, 8]
    first = view.probes[-1].results
    assert len(first[0].masks) == 1 and len(first[0].masks[0].tokens) == 5 and first[1].masks == []
    example = view.example
    assert example is not None and example.step == 8
    masked = [t for t in example.tokens if t.kind != 0]
    assert masked and all(t.guess is not None for t in masked)
    assert 0.0 <= example.random_next_prob <= 1.0
    assert (tmp_path / "run-a" / "checkpoint-8" / "model.safetensors").is_file()
    info = (tmp_path / "run-a" / "run.json").read_text()
    assert '"status": "finished"' in info and '"name": "run-a"' in info
    snap = job.snapshot()
    assert snap is not None and snap[2] == 8 and not snap[0].training


def test_cap_stop_and_resume(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1)
    job = registry.start("s1", tiny_config("run-b", steps=200), tmp_path)
    with pytest.raises(JobError, match="limit"):
        registry.start("s2", tiny_config("run-c"), tmp_path)
    with pytest.raises(JobError, match="already"):
        registry.start("s1", tiny_config("run-c"), tmp_path)
    wait_for(job, lambda v: v.step >= 3)
    job.stop()
    assert job.join(60)
    view = job.view()
    assert view.status == "stopped" and view.step < 200
    stopped_at = view.step
    assert registry.active_count() == 0
    with pytest.raises(JobError, match="exists"):
        registry.start("s1", tiny_config("run-b"), tmp_path)

    config = resume_config(tmp_path / "run-b", max_steps=stopped_at + 2)
    resumed = registry.start("s1", config, tmp_path)
    assert resumed.join(120)
    view = resumed.view()
    assert view.status == "finished", view.message
    assert [m["step"] for m in view.metrics] == list(range(1, stopped_at + 3))


def test_bad_corpus_fails_with_message(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1)
    config = tiny_config("run-d")
    config.spec.corpus = str(tmp_path / "missing.txt")
    job = registry.start("s1", config, tmp_path)
    assert job.join(30)
    view = job.view()
    assert view.status == "failed" and "not found" in view.message


def test_diverging_run_stops_with_message(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1)
    config = tiny_config("run-e", steps=30)
    config.args = TrainingArguments(max_steps=30, learning_rate=1e4, warmup_steps=0, max_grad_norm=0, device="cpu")
    job = registry.start("s1", config, tmp_path)
    assert job.join(120)
    view = job.view()
    assert view.status == "diverged" and "learning rate" in view.message
    assert '"status": "diverged"' in (tmp_path / "run-e" / "run.json").read_text()
