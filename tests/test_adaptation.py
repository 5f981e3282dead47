"""Domain adaptation: continue pretraining the packaged MiniLM encoder (or a saved run) on a new corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from training_helpers import dataset, synthetic_docs
from training_helpers import model as tiny_model

from bert_core import BertForPreTraining, Tokenizer
from bert_core.cli import main
from bert_core.pretraining.task import PretrainingTask
from bert_core.training import Trainer, TrainingArguments


def test_minilm_gets_fresh_heads_of_the_right_shape(minilm_path: Path) -> None:
    model = BertForPreTraining.from_pretrained(minilm_path)
    hidden, vocab = model.config.hidden_size, model.config.vocab_size
    assert model.cls.predictions.transform.dense.weight.shape == (hidden, hidden)
    assert model.cls.predictions.decoder.weight.shape == (vocab, hidden)
    assert model.cls.predictions.bias.shape == (vocab,) and torch.all(model.cls.predictions.bias == 0)
    assert model.cls.seq_relationship.weight.shape == (2, hidden)
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    encoder = BertForPreTraining.from_pretrained(minilm_path).bert.state_dict()
    for key, value in model.bert.state_dict().items():
        assert torch.equal(value, encoder[key]), key  # the encoder is MiniLM's, untouched


def test_freezing_keeps_the_encoder_fixed_then_releases_it() -> None:
    net = tiny_model()
    task = PretrainingTask(dataset(synthetic_docs(6, 6)), batch_size=4)
    trainer = Trainer(
        net,
        task,
        TrainingArguments(max_steps=5, learning_rate=1e-3, warmup_steps=0, freeze_encoder_steps=3, device="cpu"),
    )
    encoder0 = {k: v.clone() for k, v in net.bert.state_dict().items()}
    heads0 = {k: v.clone() for k, v in net.cls.state_dict().items()}
    for _ in range(3):
        trainer.step()
    for key, value in net.bert.state_dict().items():
        assert torch.equal(value, encoder0[key]), f"{key} moved while frozen"
    changed = [k for k, v in net.cls.state_dict().items() if not torch.equal(v, heads0[k])]
    assert "predictions.transform.dense.weight" in changed and "seq_relationship.weight" in changed
    trainer.step()
    assert not torch.equal(
        net.bert.encoder.layer[0].attention.self.query.weight, encoder0["encoder.layer.0.attention.self.query.weight"]
    )


@pytest.mark.slow
def test_adapt_minilm_from_the_cli_and_resume(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "notes.txt"
    corpus.write_text(
        "\n\n".join(
            f"Lecture {i} covers photosynthesis in plants. Chlorophyll absorbs light. "
            f"Lecture {i} ends with a quiz about leaves."
            for i in range(40)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "adapted"
    args = [
        "pretrain",
        "--init",
        "builtin:minilm",
        "--corpus",
        str(corpus),
        "--steps",
        "4",
        "--batch-size",
        "4",
        "--seq-len",
        "32",
        "--freeze-encoder-steps",
        "2",
        "--eval-fraction",
        "0.2",
        "--quiet",
        "--cache-dir",
        "",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "before -> after" in capsys.readouterr().out
    info = json.loads((out / "run.json").read_text())
    assert (
        info["eval_before"]["mlm_acc"] < info["final_eval"]["mlm_acc"]
        or info["final_eval"]["mlm_loss"] < info["eval_before"]["mlm_loss"]
    )
    assert info["spec"]["init"] == "builtin:minilm"
    tokenizer = Tokenizer.from_pretrained(out / "checkpoint-4")
    assert tokenizer.vocab_size == 30522  # MiniLM's vocabulary is kept
    model = BertForPreTraining.from_pretrained(out)
    assert (model.config.num_hidden_layers, model.config.hidden_size) == (6, 384)
    args[args.index("--steps") + 1] = "6"
    assert main(args + ["--resume"]) == 0
    assert (out / "checkpoint-6").is_dir()
    assert [
        r["step"]
        for r in json.loads("[" + ",".join((out / "metrics.jsonl").read_text().split("\n")[:-1]) + "]")
        if "eval" not in r
    ] == [1, 2, 3, 4, 5, 6]
