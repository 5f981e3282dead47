"""`python -m bert_core explain` and `probe`: JSON lines out, one `error:` line and exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bert_core import BertConfig, BertForQuestionAnswering, BertForSequenceClassification, BertModel
from bert_core.cli import main


def _save(model_cls, tokenizer, path: Path, **kw) -> Path:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        **kw,
    )
    model_cls(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture
def classifier_dir(tokenizer, tmp_path: Path) -> Path:
    return _save(BertForSequenceClassification, tokenizer, tmp_path / "cls", num_labels=2)


def test_explain_writes_one_json_object_per_text(classifier_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.csv"
    data.write_text('text,label\nthe cat sat on the mat,1\n"the dog ran , the cat sat",0\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["explain", "--model", str(classifier_dir), "--data", str(data), "--method", "grad_x_input"]
    assert main([*args, "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["the cat sat on the mat", "the dog ran , the cat sat"]
    for r in rows:
        assert r["tokens"][0] == "[CLS]" and r["tokens"][-1] == "[SEP]"
        assert len(r["scores"]) == len(r["tokens"]) == len(r["offsets"])
        assert r["label"] == f"LABEL_{r['label_id']}" and 0.0 < r["probability"] <= 1.0


def test_explain_one_text_with_integrated_gradients_reports_its_delta(classifier_dir: Path, capsys) -> None:
    assert main(["explain", "--model", str(classifier_dir), "--text", "the cat sat", "--steps", "16"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["method"] == "integrated_gradients" and abs(row["delta"]) < 0.05


def test_explain_a_qa_model_explains_the_start_and_the_end(tokenizer, tmp_path: Path, capsys) -> None:
    qa = _save(BertForQuestionAnswering, tokenizer, tmp_path / "qa")
    args = ["explain", "--model", str(qa), "--text", "who sat ?", "--context", "the cat sat on the mat"]
    assert main([*args, "--method", "rollout"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["label"] for r in rows] == ["start", "end"] and rows[0]["context"] == "the cat sat on the mat"


@pytest.mark.parametrize(
    ("content", "message"),
    [("words,label\nthe cat,1\n", "no text column"), (None, "not found")],
)
def test_explain_bad_data_is_one_error_line_and_exit_2(
    classifier_dir: Path, tmp_path: Path, capsys, content: str | None, message: str
) -> None:
    data = tmp_path / "bad.csv"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    assert main(["explain", "--model", str(classifier_dir), "--data", str(data)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]


def test_probe_refuses_random_and_reports_every_layer(tokenizer, tmp_path: Path, capsys) -> None:
    assert main(["probe", "--model", "random", "--task", "source"]) == 2
    assert "nothing to probe" in capsys.readouterr().err
    encoder = _save(BertModel, tokenizer, tmp_path / "enc")
    assert main(["probe", "--model", str(encoder), "--task", "source", "--n", "60", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["layers"] == [0, 1, 2] and len(result["accuracy"]) == len(result["control"]) == 3
    assert result["n_train"] + result["n_test"] == 60 and 0.0 <= result["majority"] <= 1.0
