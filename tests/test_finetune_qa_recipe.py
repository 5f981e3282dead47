"""The default fine-tuning recipes, frozen bottom layers, the vectorised span search, the QA bench batch."""

from __future__ import annotations

import json
from importlib import resources
from types import SimpleNamespace

import pytest
import torch

from bert_core import BertConfig, BertForQuestionAnswering
from bert_core.finetuning.data.squad import Answer, QAExample, load_squad, parse_squad
from bert_core.finetuning.qa_features import QAFeature, decode_example
from bert_core.finetuning.recipe import QA_PASSES, RECIPES, default_freeze_layers, fit_epochs
from bert_core.finetuning.setup import FinetuneSpec, finetune_arguments
from bert_core.finetuning.start import freeze_bottom


def test_qa_schedule_is_fitted_to_the_data_size() -> None:
    assert fit_epochs("qa", 168) == 15.0  # the built-in set
    assert fit_epochs("qa", QA_PASSES * 10) == 2.0  # large data: at least two epochs
    assert fit_epochs("qa", 20) == 30.0  # tiny data: capped
    assert fit_epochs("sentiment", 11_527) == RECIPES["sentiment"].epochs == 3.0
    with pytest.raises(ValueError, match="no training examples"):
        fit_epochs("qa", 0)


def test_defaults_come_from_the_task_recipe() -> None:
    assert FinetuneSpec(task="qa").batch_size == RECIPES["qa"].batch_size == 16
    assert FinetuneSpec(task="sentiment").batch_size == 32
    assert FinetuneSpec(task="qa", batch_size=4).batch_size == 4
    assert default_freeze_layers("qa", "builtin:minilm", 6) == 2  # the lowest third
    assert default_freeze_layers("qa", "builtin:minilm", 2) == 0  # a tiny model keeps training everything
    assert default_freeze_layers("qa", "random", 6) == 0  # random layers: nothing worth keeping
    assert default_freeze_layers("sentiment", "builtin:minilm", 6) == 0
    with pytest.raises(ValueError, match="freeze_layers"):
        FinetuneSpec(task="qa", freeze_layers=-1)


def test_arguments_follow_the_recipe_and_cap_evaluations() -> None:
    task = SimpleNamespace(features=[0] * 168, train=[0] * 168)  # only the number of windows is read
    prepared = SimpleNamespace(spec=FinetuneSpec(task="qa"), steps_per_epoch=11, task=task)
    args = finetune_arguments(prepared)  # type: ignore[arg-type]
    assert args.max_steps == 165 and args.learning_rate == RECIPES["qa"].learning_rate
    assert args.warmup_steps == 16
    assert args.eval_every == args.save_every == 33  # 5 evaluations over 15 epochs, on epoch boundaries
    short = finetune_arguments(prepared, epochs=2, learning_rate=1e-3)  # type: ignore[arg-type]
    assert (short.max_steps, short.eval_every, short.learning_rate) == (22, 11, 1e-3)


def test_frozen_bottom_layers_get_no_gradient(tiny_config: BertConfig) -> None:
    model = BertForQuestionAnswering(tiny_config)
    freeze_bottom(model, 1)
    ids = torch.randint(5, 99, (2, 9))
    out = model(ids, start_positions=torch.tensor([1, 2]), end_positions=torch.tensor([3, 4]))
    out.loss.backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is None
    assert all(p.grad is None for p in model.bert.encoder.layer[0].parameters())
    assert all(p.grad is not None for p in model.bert.encoder.layer[1].parameters())
    assert model.qa_outputs.weight.grad is not None
    with pytest.raises(ValueError, match="between 0 and 2"):
        freeze_bottom(BertForQuestionAnswering(tiny_config), 3)


def _brute_force_best(start: torch.Tensor, end: torch.Tensor, in_context: list[bool], max_len: int) -> tuple:
    pairs = [
        (float(start[s] + end[e]), s, e)
        for s in range(len(start))
        for e in range(len(end))
        if in_context[s] and in_context[e] and 0 <= e - s < max_len
    ]
    return max(pairs)


def test_span_search_finds_the_best_valid_pair() -> None:
    context = "alpha beta gamma delta epsilon zeta eta theta"
    words = context.split()
    offsets: list[tuple[int, int] | None] = [None, None, None]  # [CLS] question [SEP]
    pos = 0
    for w in words:
        offsets.append((pos, pos + len(w)))
        pos += len(w) + 1
    offsets.append(None)
    feature = QAFeature(0, list(range(len(offsets))), [0] * len(offsets), offsets, 0, 0)
    example = QAExample("q", "question?", context, [Answer("beta", 6)])
    gen = torch.Generator().manual_seed(1)
    for _ in range(20):
        start, end = torch.randn(len(offsets), generator=gen), torch.randn(len(offsets), generator=gen)
        spans, _ = decode_example(example, [feature], [start], [end], n_best=5, max_answer_length=3)
        score, s, e = _brute_force_best(start, end, [o is not None for o in offsets], 3)
        assert spans[0].score == pytest.approx(score)
        assert spans[0].text == context[offsets[s][0] : offsets[e][1]]  # type: ignore[index]
        assert len(spans) == 5 and all(a.score >= b.score for a, b in zip(spans, spans[1:]))


def test_heldout_set_is_apart_from_the_builtin_set() -> None:
    root = resources.files("bert_core").joinpath("resources")
    heldout = load_squad(root.joinpath("qa_heldout.json").read_bytes(), strict=True).train
    builtin = parse_squad(json.loads(root.joinpath("qa_builtin.json").read_text("utf-8")))[0]
    assert len(heldout) >= 40
    assert not {e.context for e in heldout} & {e.context for e in builtin}
    assert not {e.question for e in heldout} & {e.question for e in builtin}


def test_bench_qa_batch_is_shaped_like_features(tiny_config: BertConfig) -> None:
    from bench.finetune_qa import qa_batch

    config = BertConfig.from_dict({**tiny_config.to_dict(), "vocab_size": 200})  # room for the [CLS]/[SEP] ids
    batch = qa_batch(config, 4, 40, torch.device("cpu"), question=5)
    mask = batch["attention_mask"]
    assert batch["input_ids"].shape == (4, 40) and int(mask[0].sum()) == 40 and bool((mask.sum(1) >= 34).all())
    assert bool((batch["token_type_ids"][:, :7] == 0).all()) and bool((batch["token_type_ids"] <= mask).all())
    assert bool((batch["start_positions"] <= batch["end_positions"]).all())
    assert bool((batch["end_positions"] < mask.sum(1)).all())
