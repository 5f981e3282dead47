"""The background job registry: a tiny run trains in a thread, observes itself, stops and resumes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_run import make_tiny_run
from waiting import wait_for

from bert_core.pretraining.setup import PretrainSpec
from bert_core.training import TrainingArguments
from explorer.jobs.base import OOM_HINT, JobError
from explorer.jobs.finetune import FinetuneConfig
from explorer.jobs.pretrain import JobConfig, resume_config
from explorer.jobs.registry import JobRegistry


def tiny_config(name: str, steps: int = 8, **spec_kw) -> JobConfig:
    spec = PretrainSpec(
        corpus="builtin:lee",
        preset="tiny",
        vocab="train",
        vocab_size=500,
        max_seq_length=32,
        batch_size=8,
        cache_dir="",
        **spec_kw,
    )
    args = TrainingArguments(max_steps=steps, learning_rate=1e-3, warmup_steps=1, save_every=4, device="cpu")
    return JobConfig(name, spec, args, probes=["the [MASK] said .", "no mask here"], probe_every=2, probe_min_s=0.0)


def test_job_trains_observes_and_finishes(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1)
    job = registry.start("s1", tiny_config("run-a"), tmp_path)
    assert job.join(120)
    view = job.view()
    assert view.status == "finished", view.message
    assert [m["step"] for m in view.metrics] == list(range(1, 9))
    assert [e["step"] for e in view.evals] == [0, 8]  # before and after, each timed for the time-left estimate
    assert all(e["eval_time"] > 0 and e["eval_pairs"] > 0 and e["eval_masked"] > 0 for e in view.evals)
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


def test_cap_queue_stop_and_resume(tmp_path: Path) -> None:
    registry = JobRegistry(max_jobs=1, max_queue=2)
    job = registry.start("s1", tiny_config("run-b", steps=200), tmp_path)
    waiting = registry.start("s2", tiny_config("run-c", steps=2), tmp_path)  # over the cap: it waits
    cancelled = registry.start("s3", tiny_config("run-x"), tmp_path)
    with pytest.raises(JobError, match="waiting"):
        registry.start("s4", tiny_config("run-y"), tmp_path)  # the queue holds 2
    with pytest.raises(JobError, match="already"):
        registry.start("s1", tiny_config("run-z"), tmp_path)
    with pytest.raises(JobError, match="someone else"):
        registry.start("s5", tiny_config("run-c"), tmp_path)  # a queued job owns its run name
    assert waiting.view().status == "queued" and waiting.view().active
    assert [registry.queue_position(j) for j in (job, waiting, cancelled)] == [None, 1, 2]
    cancelled.stop()  # leaving the queue: the others move up, nothing was written
    assert cancelled.join(1) and cancelled.view().status == "stopped" and not (tmp_path / "run-x").exists()
    assert registry.queue_position(waiting) == 1 and len(registry.jobs()) == 2
    wait_for(job, lambda v: v.step >= 3)
    assert waiting.view().status == "queued" and registry.active_count() == 1
    job.stop()
    assert job.join(60)
    view = job.view()
    assert view.status == "stopped" and view.step < 200
    stopped_at = view.step
    assert waiting.join(120) and waiting.view().status == "finished"  # started by itself when the slot freed
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


def test_learning_rate_10_stops_at_the_explosion_and_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    """With clipping, lr=10 takes the loss from ~11 to thousands (never NaN in fp32): max_loss catches it."""
    from bert_core.model import BertForPreTraining
    from explorer.pretrain.form import MAX_LOSS

    config = tiny_config("run-lr10", steps=40)
    config.args = TrainingArguments(
        max_steps=40, learning_rate=10.0, warmup_steps=0, save_every=1, device="cpu", max_loss=MAX_LOSS
    )
    job = JobRegistry(max_jobs=1).start("s1", config, tmp_path)
    assert job.join(120)
    view = job.view()
    assert view.status == "diverged" and "lower the learning rate" in view.message, view.message
    assert view.step < 5 and all(m["loss"] < MAX_LOSS for m in view.metrics)  # no exploded step recorded
    latest = tmp_path / "run-lr10" / f"checkpoint-{view.step}"
    assert latest.is_dir()
    BertForPreTraining.from_pretrained(latest)  # the last good checkpoint loads
    assert '"status": "diverged"' in (tmp_path / "run-lr10" / "run.json").read_text()


OUT_OF_MEMORY = [
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError(
        "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: "
        "can't allocate memory: you tried to allocate 123 bytes"
    ),
]


@pytest.mark.parametrize("error", OUT_OF_MEMORY)
def test_out_of_memory_ends_the_job_with_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error) -> None:
    from bert_core.model import BertForPreTraining

    def forward(self, *args, **kwargs):
        if self.training:  # the held-out baseline (eval mode) passes; the first training batch fails
            raise error
        return real(self, *args, **kwargs)

    real = BertForPreTraining.forward
    monkeypatch.setattr(BertForPreTraining, "forward", forward)
    registry = JobRegistry(max_jobs=1)
    job = registry.start("s1", tiny_config("run-oom"), tmp_path)
    assert job.join(60)
    view = job.view()
    assert view.status == "failed" and "ran out of memory at step 1" in view.message
    assert "smaller batch size" in view.message and registry.active_count() == 0
    monkeypatch.setattr(BertForPreTraining, "forward", real)
    again = registry.start("s1", tiny_config("run-after-oom", steps=1), tmp_path)  # the server goes on
    assert again.join(60) and again.view().status == "finished"


def test_run_records_its_owner(tmp_path: Path) -> None:
    job = JobRegistry(max_jobs=1).start("session-abc", tiny_config("run-own", steps=1), tmp_path)
    assert job.join(60)
    assert '"owner": "session-abc"' in (tmp_path / "run-own" / "run.json").read_text()


@pytest.mark.parametrize("error", OUT_OF_MEMORY)
def test_out_of_memory_ends_a_finetuning_job_with_the_same_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error
) -> None:
    """The job base handles failures for every kind: a fine-tuning run that hits the CPU allocator's
    "can't allocate memory" (or CUDA's out of memory) gets the pretraining run's out-of-memory advice."""
    from bert_core.model import BertForSequenceClassification

    make_tiny_run(tmp_path, steps=(1,))
    data = tmp_path / "reviews.csv"
    rows = [f"a {w} film number {i},{label}" for i in range(6) for label, w in (("good", "great"), ("bad", "awful"))]
    data.write_text("review,stars\n" + "\n".join(rows) + "\n")

    def forward(self, *args, **kwargs):
        if self.training:  # the untrained model's dev score (eval mode) passes; the first training batch fails
            raise error
        return real(self, *args, **kwargs)

    real = BertForSequenceClassification.forward
    monkeypatch.setattr(BertForSequenceClassification, "forward", forward)
    registry = JobRegistry(max_jobs=1)
    config = FinetuneConfig(
        "ft-oom",
        "sentiment",
        init=str(tmp_path / "tiny-run"),
        data=str(data),
        options={"text_column": "review", "label_column": "stars", "max_seq_length": 32, "batch_size": 4},
    )
    job = registry.start("s1", config, tmp_path)
    assert job.join(120)
    view = job.view()
    assert view.status == "failed" and view.message == OOM_HINT.format(where=" at step 1"), view.message
    assert "ran out of memory at step 1" in view.message and "smaller batch size" in view.message
    assert registry.active_count() == 0
    assert '"status": "failed"' in (tmp_path / "ft-oom" / "run.json").read_text()
