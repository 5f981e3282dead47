"""Named recipes, the time budget that fits a run's steps, and the held-out word-guess score."""

from __future__ import annotations

import argparse
import itertools

import pytest
import torch
from training_helpers import dataset, model, synthetic_docs

from bert_core.cli import build_parser
from bert_core.cli.pretrain import resolved_settings
from bert_core.pretraining.recipes import DEFAULTS, RECIPES, build, settings
from bert_core.pretraining.task import PretrainingTask
from bert_core.pretraining.word_guess import content_word_items, score_word_guesses
from bert_core.training import Trainer, TrainingArguments
from bert_core.training.budget import TimeBudget


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["pretrain", *argv, "--out", "unused"])


def test_explicit_flags_win_over_the_recipe_which_wins_over_the_defaults() -> None:
    values = resolved_settings(_parse("--recipe", "classroom", "--preset", "mini", "--no-wwm"))
    assert values["preset"] == "mini" and values["wwm"] is False  # given explicitly
    assert values["corpus"] == RECIPES["classroom"]["corpus"]  # from the recipe
    assert values["weight_decay"] == DEFAULTS["weight_decay"]  # neither: the default
    plain = resolved_settings(_parse())
    assert plain == DEFAULTS
    spec, args = build(settings("classroom"))
    assert (spec.corpus, spec.vocab, args.max_steps) == (
        RECIPES["classroom"]["corpus"],
        RECIPES["classroom"]["vocab"],
        RECIPES["classroom"]["steps"],
    )
    with pytest.raises(ValueError, match="unknown recipe"):
        settings("nope")


def _trainer(max_steps: int, warmup: int) -> Trainer:
    torch.manual_seed(0)
    task = PretrainingTask(dataset(synthetic_docs(30, 6)), 4)
    args = TrainingArguments(max_steps=max_steps, warmup_steps=warmup, learning_rate=1e-3, seed=3)
    return Trainer(model(), task, args)


def test_a_time_budget_fits_the_steps_inside_warmup_and_a_replay_of_that_many_steps_matches() -> None:
    ticks = itertools.count()
    budget = TimeBudget(minutes=0.4, eval_s=2.0, clock=lambda: float(next(ticks)))  # one second per clock read
    trainer = _trainer(max_steps=10_000, warmup=12)
    budget.attach(trainer)
    trainer.train()
    # The clock reads 0 at attach and k after step k: a step "takes" 1 s; at step 11, 24 - 11 - 2 s are left.
    assert budget.fitted == [(8, 22), (11, 22)]
    assert trainer.args.max_steps == 22
    assert trainer.status == "finished" and trainer.global_step == trainer.args.max_steps
    assert trainer.args.lr_factor(trainer.global_step - 1) == pytest.approx(1 / (trainer.args.max_steps - 12))
    replay = _trainer(max_steps=trainer.args.max_steps, warmup=12)
    replay.train()
    for a, b in zip(trainer.model.parameters(), replay.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_machine_that_slows_down_gets_its_steps_fitted_again() -> None:
    calls = itertools.count()

    def clock() -> float:  # read once at attach and once a step: 1 s a step up to step 11, then 2 s
        n = next(calls)
        return float(n if n <= 11 else 11 + 2 * (n - 11))

    budget = TimeBudget(minutes=4.0, clock=clock)
    trainer = _trainer(max_steps=10_000, warmup=12)
    budget.attach(trainer)
    trainer.train()
    assert budget.fitted[:2] == [(8, 240), (11, 240)]  # in warmup: 1 s a step, 240 s
    # At step 50 the clock reads 89: 151 s left at ~1.8 s a step (the last 48 steps) is 83 more steps.
    assert budget.fitted[2:] == [(50, 133)]  # at step 100 it is 8 steps off, within 10% of the budget: kept
    assert 125 <= trainer.global_step <= 133  # the budget's stop, or the fitted end: on time either way


def test_an_explicit_step_count_caps_a_generous_budget() -> None:
    ticks = itertools.count()
    budget = TimeBudget(minutes=60.0, clock=lambda: float(next(ticks)))
    trainer = _trainer(max_steps=12, warmup=4)
    budget.attach(trainer)
    trainer.train()
    assert trainer.global_step == 12


def test_word_guesses_count_only_the_hidden_content_word(tokenizer, model) -> None:
    texts = ["the cat sat on the mat .", "a dog ran on the mat .", "the dog sat on a mat ."]
    items = content_word_items(texts, tokenizer, n=10, min_words=3)
    assert len(items) == 3
    for item in items:
        assert item.masked.count("[MASK]") == 1 and item.word in {"cat", "sat", "mat", "dog", "ran"}
        assert item.masked.replace("[MASK]", item.word) == item.sentence
    target = items[0].word
    with torch.no_grad():
        model.cls.predictions.bias[tokenizer.get_vocab()[target]] = 1e4  # always guesses `target` first
    score = score_word_guesses(model, tokenizer, items, k=5)
    expected = sum(item.word == target for item in items) / len(items)
    assert score.top1 == pytest.approx(expected) and score.spellable == 1.0
    assert score.topk >= score.top1
    assert score.examples[0][2][0] == target
