"""Fine-tuning: both heads overfit a handful of examples, the CLI trains and evaluates, try-it helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bert_core import BertConfig, BertForQuestionAnswering, BertForSequenceClassification, BertModel, Tokenizer
from bert_core.checkpoint import RunDirectory
from bert_core.cli import main
from bert_core.finetuning.batches import EpochBatches
from bert_core.finetuning.classification import ClassificationTask, worst_misclassified
from bert_core.finetuning.data.sentiment import LabelledText, load_sentiment
from bert_core.finetuning.data.squad import load_qa_builtin
from bert_core.finetuning.predict import answer, label_probabilities, predict_sentiment
from bert_core.finetuning.question_answering import QuestionAnsweringTask
from bert_core.finetuning.setup import finetune_arguments, make_finetune_trainer, prepare_finetuning
from bert_core.finetuning.start import resolve_init
from bert_core.training import Trainer, TrainingArguments


@pytest.fixture(scope="module")
def tokenizer(minilm_path: Path) -> Tokenizer:
    return Tokenizer.from_pretrained(minilm_path)


def tiny_config(**overrides) -> BertConfig:
    values = dict(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return BertConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def tiny_init(tmp_path_factory, tokenizer: Tokenizer) -> Path:
    """A tiny 'pretrained' encoder directory with the stock vocabulary (what --init RUN_DIR reads)."""
    path = tmp_path_factory.mktemp("tiny_init")
    torch.manual_seed(0)
    BertModel(tiny_config()).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_epoch_batches_are_deterministic_and_cover_each_epoch() -> None:
    batches = EpochBatches(list(range(10, 30)), batch_size=6, seed=1)
    assert batches.num_batches() == 4
    epoch0 = [batches.rows(i)[1] for i in range(4)]
    flat = sum(epoch0, [])
    assert len(flat) == 24 and set(flat) == set(range(20))  # every example; 4 rows wrap round to fill the last batch
    assert EpochBatches(list(range(10, 30)), batch_size=6, seed=1).rows(2) == batches.rows(2)
    assert batches.rows(4)[0] == 1 and [batches.rows(4 + i)[1] for i in range(4)] != epoch0
    even = EpochBatches(list(range(24)), batch_size=6, seed=1)  # no wrap-round duplicates
    ranks = [even.rows(0, rank, 2)[1] for rank in (0, 1)]
    assert len(set(ranks[0]) | set(ranks[1])) == 12  # two ranks share one global batch, disjointly


def test_classifier_overfits_eight_sentences(tokenizer: Tokenizer) -> None:
    data = load_sentiment("builtin:pang_lee")
    few = data.train[:4] + [e for e in data.train if e.label != data.train[0].label][:4]
    task = ClassificationTask(few, tokenizer, num_labels=2, dev=few, batch_size=8, max_seq_length=32)
    model = BertForSequenceClassification(tiny_config(num_labels=2))
    trainer = Trainer(model, task, TrainingArguments(max_steps=40, learning_rate=3e-3, warmup_steps=0, device="cpu"))
    history = list(trainer)
    assert history[-1]["cls_acc"] == 1.0 and history[-1]["cls_loss"] < history[0]["cls_loss"] / 5
    assert trainer.last_eval["accuracy"] == 1.0 and trainer.last_eval["macro_f1"] == 1.0
    assert task.confusion() == [[4, 0], [0, 4]]
    probs = task.last_predictions
    assert probs.shape == (8, 2) and torch.allclose(probs.sum(-1), torch.ones(8))


@pytest.mark.slow
def test_qa_head_overfits_four_questions_across_windows(tokenizer: Tokenizer) -> None:
    few = load_qa_builtin("train")[:4]
    task = QuestionAnsweringTask(
        few, tokenizer, dev=few, batch_size=8, max_seq_length=128, doc_stride=32, max_query_length=24
    )
    assert len(task.features) == 8  # every context is cut in two windows; one of them points at [CLS]
    model = BertForQuestionAnswering(tiny_config())
    trainer = Trainer(model, task, TrainingArguments(max_steps=100, learning_rate=5e-3, warmup_steps=0, device="cpu"))
    history = list(trainer)
    assert history[-1]["qa_acc"] == 1.0 and history[-1]["qa_loss"] < 0.2
    assert trainer.last_eval["exact_match"] == 1.0 and trainer.last_eval["f1"] == 1.0
    assert task.last_predictions == {e.id: e.answers[0].text for e in few}


def test_try_it_helpers(tiny_init: Path, tokenizer: Tokenizer) -> None:
    classifier = BertForSequenceClassification.from_pretrained(
        tiny_init, num_labels=3, id2label={0: "neg", 1: "mid", 2: "pos"}
    )
    classifier.train()
    probs = predict_sentiment(classifier, tokenizer, ["great fun", "a dull, tedious and far too long film", ""])
    assert probs.shape == (3, 3) and torch.allclose(probs.sum(-1), torch.ones(3)) and classifier.training
    assert list(label_probabilities(classifier, probs)[0]) == ["neg", "mid", "pos"]
    qa = BertForQuestionAnswering.from_pretrained(tiny_init)
    context = load_qa_builtin("dev")[0].context
    out = answer(qa, tokenizer, "What is it?", context, n_best=5, max_answer_length=8, max_seq_length=64, doc_stride=16)
    assert out.windows > 1 and len(out.spans) == 5
    assert [s.score for s in out.spans] == sorted((s.score for s in out.spans), reverse=True)
    for span in out.spans:
        assert span.text == context[span.start : span.end] and span.text
    assert len(out.tokens) == len(out.token_offsets) == len(out.start_probs) == len(out.end_probs)
    assert all(0.0 <= p <= 1.0 for p in out.start_probs) and abs(sum(s.prob for s in out.spans) - 1) < 1e-5
    with pytest.raises(ValueError, match="question and a context"):
        answer(qa, tokenizer, " ", context)


def test_worst_misclassified_orders_by_confidence_in_the_wrong_class() -> None:
    examples = [LabelledText("a", 0), LabelledText("b", 1), LabelledText("c", 0), LabelledText("d", 1)]
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.05, 0.95], [0.2, 0.8]])
    rows = worst_misclassified(examples, probs, ["neg", "pos"], k=5)
    assert [r["text"] for r in rows] == ["c", "b"]
    assert rows[0] == {
        "text": "c",
        "label": "neg",
        "predicted": "pos",
        "confidence": pytest.approx(0.95),
        "label_prob": pytest.approx(0.05),
    }


def test_random_init_keeps_minilm_shape_and_hub_needs_network(minilm_path: Path) -> None:
    prepared = prepare_finetuning("sentiment", "random", "builtin:pang_lee", max_seq_length=32, batch_size=8)
    config = BertConfig.from_json(minilm_path)
    assert (prepared.model.config.hidden_size, prepared.model.config.num_hidden_layers) == (384, 6)
    assert prepared.model.config.vocab_size == config.vocab_size == prepared.tokenizer.vocab_size
    assert prepared.model.config.id2label == {0: "neg", 1: "pos"} and prepared.init_source == ""
    assert prepared.steps_per_epoch == 23  # 180 training sentences / 8
    with pytest.raises(ValueError, match="Hugging Face Hub"):
        resolve_init("hub:bert-base-uncased")  # tests run offline


@pytest.mark.slow
def test_cli_finetune_then_evaluate(tiny_init: Path, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "reviews.csv"
    rows = [f"{'loved it' if i % 2 else 'hated it'} number {i},{'pos' if i % 2 else 'neg'}" for i in range(40)]
    csv.write_text("review,stars\n" + "\n".join(rows) + "\n,neg\n", encoding="utf-8")
    out = tmp_path / "run"
    args = [
        "finetune",
        "--task",
        "sentiment",
        "--init",
        str(tiny_init),
        "--data",
        str(csv),
        "--text-column",
        "review",
        "--label-column",
        "stars",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--lr",
        "1e-3",
        "--max-seq-len",
        "16",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    info = json.loads((out / "run.json").read_text())
    assert info["kind"] == "finetuning" and info["labels"] == ["neg", "pos"] and info["status"] == "finished"
    assert info["data_info"]["dropped_empty"] == 1 and info["steps"] == 10 == summary["steps"]
    assert sum(info["data_info"]["dev_class_counts"].values()) == info["data_info"]["dev"]  # saved runs keep it
    assert set(info["final_eval"]) >= {"loss", "accuracy", "macro_f1"} and "eval_before" in info
    evals = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "eval" in r]
    assert [r["step"] for r in evals] == [0, 5, 10]  # the baseline, then after every epoch
    assert (
        main(
            [
                "evaluate",
                "--task",
                "sentiment",
                "--model",
                str(out),
                "--data",
                str(csv),
                "--text-column",
                "review",
                "--label-column",
                "stars",
            ]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["examples"] == 40 and metrics["split"] == "all" and len(metrics["confusion_matrix"]) == 2
    assert main(args) == 2  # the run exists
    assert capsys.readouterr().err.startswith("error: ")

    qa_out = tmp_path / "qa"
    assert (
        main(
            [
                "finetune",
                "--task",
                "qa",
                "--init",
                str(tiny_init),
                "--data",
                "builtin:qa",
                "--max-steps",
                "2",
                "--batch-size",
                "8",
                "--max-seq-len",
                "96",
                "--doc-stride",
                "24",
                "--max-query-len",
                "24",
                "--no-baseline",
                "--quiet",
                "--out",
                str(qa_out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["evaluate", "--task", "qa", "--model", str(qa_out), "--data", "builtin:qa"]) == 0
    qa_metrics = json.loads(capsys.readouterr().out)
    assert qa_metrics["examples"] == 56 and 0.0 <= qa_metrics["f1"] <= 1.0


@pytest.mark.slow
def test_cli_resume_continues_an_interrupted_finetuning_exactly(tiny_init: Path, tmp_path: Path, capsys) -> None:
    """Stopped at step 4 of 10 and resumed with `finetune --resume`, a run ends with the weights, metrics and
    dev result of the same run never interrupted (data order, dropout and AdamW state all carry over)."""
    csv = tmp_path / "reviews.csv"
    rows = [f"{'loved it' if i % 2 else 'hated it'} number {i},{'pos' if i % 2 else 'neg'}" for i in range(40)]
    csv.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")

    def start(out: Path, stop_at: int | None) -> dict:
        prepared = prepare_finetuning(
            "sentiment", str(tiny_init), str(csv), batch_size=8, max_seq_length=16, dropout=0.1
        )
        args = finetune_arguments(prepared, epochs=2, learning_rate=1e-3, device="cpu")
        trainer = make_finetune_trainer(prepared, args, RunDirectory(out))
        if stop_at:
            trainer.add_callback("on_step_end", lambda t, m: t.stop_event.set() if m["step"] == stop_at else None)
        list(trainer)
        assert trainer.status == ("stopped" if stop_at else "finished")
        return trainer.last_eval

    uninterrupted = start(tmp_path / "whole", None)
    start(tmp_path / "parts", 4)
    torch.manual_seed(123)  # a different global RNG state must not matter
    assert main(["finetune", "--resume", "--quiet", "--out", str(tmp_path / "parts")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "finished" and summary["steps"] == 10
    whole, parts = (BertForSequenceClassification.from_pretrained(tmp_path / name) for name in ("whole", "parts"))
    for (name, a), b in zip(whole.state_dict().items(), parts.state_dict().values()):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=0, msg=name)
    losses = [
        [
            r["loss"]
            for r in map(json.loads, (tmp_path / n / "metrics.jsonl").read_text().splitlines())
            if "loss" in r and "eval" not in r
        ]
        for n in ("whole", "parts")
    ]
    assert len(losses[1]) == 10 and losses[1] == pytest.approx(losses[0], abs=1e-6)
    assert summary["final_eval"] == pytest.approx(uninterrupted)
    assert json.loads((tmp_path / "parts" / "run.json").read_text())["init"] == str(tiny_init)
    assert main(["finetune", "--resume", "--quiet", "--out", str(tmp_path / "nothing")]) == 2
    assert "no fine-tuning run to resume" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["finetune", "--task", "sentiment", "--data", "{csv}", "--quiet", "--out", "{out}"], "single class"),
        (
            ["finetune", "--task", "qa", "--data", "builtin:nope", "--quiet", "--out", "{out}"],
            "unknown built-in QA set",
        ),
        (["evaluate", "--task", "qa", "--model", "{out}", "--data", "builtin:qa"], "neither a model directory"),
    ],
)
def test_cli_errors_are_one_line(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "one.csv"
    csv.write_text("text,label\nfine,pos\ngood,pos\n", encoding="utf-8")
    argv = [a.format(csv=csv, out=tmp_path / "missing") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
