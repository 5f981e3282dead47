"""The training engine: overfitting, exact resume, stop, divergence, accumulation, weight decay groups."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from training_helpers import VOCAB, dataset, model, synthetic_docs  # noqa: F401

from bert_core import BertForPreTraining
from bert_core.checkpoint import RunDirectory
from bert_core.pretraining.task import PretrainingTask
from bert_core.training import Trainer, TrainingArguments, TrainingDiverged, decay_groups


class OneBatchTask(PretrainingTask):
    """Always the same batch: the classic overfit-one-batch check."""

    def batch(self, micro_index: int, rank: int = 0, world_size: int = 1):
        return super().batch(0, rank, world_size)


def test_overfits_eight_sentences() -> None:
    task = OneBatchTask(dataset(synthetic_docs(2, 4)), batch_size=8)
    args = TrainingArguments(max_steps=200, learning_rate=3e-3, warmup_steps=10, device="cpu")
    trainer = Trainer(model(dropout=0.0), task, args)
    history = [m for m in trainer]
    assert history[0]["mlm_acc"] < 0.5
    assert history[-1]["mlm_acc"] > 0.95
    assert history[-1]["nsp_acc"] == 1.0
    assert history[-1]["mlm_loss"] < history[0]["mlm_loss"] / 5


def test_resume_gives_exactly_the_same_losses(tmp_path: Path) -> None:
    docs = synthetic_docs(6, 6)
    args = TrainingArguments(max_steps=12, learning_rate=1e-3, warmup_steps=3, save_every=6, device="cpu")
    torch.manual_seed(0)
    straight = Trainer(
        model(), PretrainingTask(dataset(docs), batch_size=4), args, run_dir=RunDirectory(tmp_path / "a", keep_last=5)
    )
    uninterrupted = [m["loss"] for m in straight]

    torch.manual_seed(0)
    first = Trainer(model(), PretrainingTask(dataset(docs), batch_size=4), args, run_dir=RunDirectory(tmp_path / "b"))
    first.add_callback("on_step_end", lambda t, m: t.stop_event.set() if m["step"] == 6 else None)
    stopped = [m["loss"] for m in first]
    assert first.status == "stopped" and len(stopped) == 6
    torch.manual_seed(123)  # a different global RNG state must not matter
    resumed_model = BertForPreTraining.from_pretrained(tmp_path / "b")
    second = Trainer(
        resumed_model, PretrainingTask(dataset(docs), batch_size=4), args, run_dir=RunDirectory(tmp_path / "b")
    )
    assert second.resume() == 6
    resumed = [m["loss"] for m in second]
    assert second.status == "finished"
    assert stopped + resumed == pytest.approx(uninterrupted, abs=1e-6)
    logged = [r["step"] for r in RunDirectory(tmp_path / "b").read_metrics() if "eval" not in r]
    assert logged == list(range(1, 13))


def test_stop_event_saves_a_checkpoint(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    trainer = Trainer(
        model(),
        PretrainingTask(dataset(synthetic_docs(4, 5)), batch_size=4),
        TrainingArguments(max_steps=50, device="cpu"),
        run_dir=run,
    )
    trainer.add_callback("on_step_end", lambda t, m: t.stop_event.set() if m["step"] == 3 else None)
    trainer.train()
    assert trainer.status == "stopped"
    assert [p.name for p in run.checkpoints()] == ["checkpoint-3"]


class PoisonedTask(PretrainingTask):
    """Returns a NaN loss from step `at` on."""

    def __init__(self, *args, at: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.at, self.calls = at, 0

    def forward(self, model, batch):
        out = super().forward(model, batch)
        self.calls += 1
        if self.calls >= self.at:
            out["mlm_loss"] = out["mlm_loss"] * float("nan")
        return out


def test_divergence_stops_without_touching_weights_or_checkpoints(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    net = model()
    trainer = Trainer(
        net,
        PoisonedTask(dataset(synthetic_docs(4, 5)), batch_size=4, at=5),
        TrainingArguments(max_steps=50, save_every=2, device="cpu"),
        run_dir=run,
    )
    before = None
    with pytest.raises(TrainingDiverged, match="step 5"):
        for _ in trainer:
            before = {k: v.clone() for k, v in net.state_dict().items()}
    assert trainer.status == "diverged" and trainer.global_step == 4
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key
    latest = run.latest_checkpoint()
    assert latest is not None and latest.name == "checkpoint-4"
    BertForPreTraining.from_pretrained(latest)


def test_gradient_accumulation_equals_one_big_batch() -> None:
    docs = synthetic_docs(20, 6)
    # The first 3 global batches of 8 rows lie inside epoch 0, before any wrap-around, for every split.
    assert len(dataset(docs, length_bucketing=False).epoch_instances(0)) >= 32
    results = []
    for batch_size, accumulation in ((8, 1), (4, 2), (2, 4)):
        torch.manual_seed(0)
        net = model(dropout=0.0)
        task = PretrainingTask(dataset(docs, length_bucketing=False), batch_size=batch_size)
        args = TrainingArguments(
            max_steps=3, learning_rate=1e-3, warmup_steps=0, device="cpu", gradient_accumulation_steps=accumulation
        )
        Trainer(net, task, args).train()
        results.append(net.state_dict())
    for other in results[1:]:
        for key in results[0]:
            torch.testing.assert_close(other[key], results[0][key], atol=1e-5, rtol=0)


def test_decay_groups_cover_every_parameter_once() -> None:
    net = model()
    groups = decay_groups(net, 0.01)
    params = [p for g in groups for p in g["params"]]
    assert len(params) == len(list(net.parameters()))
    no_decay = {id(p) for p in groups[1]["params"]}
    for name, p in net.named_parameters():
        assert (id(p) in no_decay) == (p.ndim < 2 or "LayerNorm" in name), name


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(max_steps=0), "max_steps"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(max_loss=-1.0), "max_loss"),
        (dict(max_loss=float("nan")), "max_loss"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainingArguments(**kwargs)


def test_learning_rate_schedule() -> None:
    args = TrainingArguments(max_steps=10, warmup_steps=4)
    factors = [args.lr_factor(s) for s in range(10)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4] == 1.0 and factors[-1] == pytest.approx(1 / 6)
    assert all(a >= b for a, b in zip(factors[3:], factors[4:]))
