"""BertConfig: validation, presets and Hugging Face config.json round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bert_core import PRESETS, BertConfig


@pytest.mark.parametrize(
    "name,shape",
    [
        ("tiny", (2, 128, 2)),
        ("mini", (4, 256, 4)),
        ("small", (4, 512, 8)),
        ("medium", (8, 512, 8)),
        ("base", (12, 768, 12)),
    ],
)
def test_presets(name: str, shape: tuple[int, int, int]) -> None:
    c = BertConfig.from_preset(name)
    assert (c.num_hidden_layers, c.hidden_size, c.num_attention_heads) == shape
    assert c.intermediate_size == 4 * c.hidden_size
    assert set(PRESETS) == {"tiny", "mini", "small", "medium", "base"}


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(hidden_size=100, num_attention_heads=3), "divisible"),
        (dict(num_hidden_layers=0), "num_hidden_layers must be a positive integer"),
        (dict(vocab_size=-5), "vocab_size"),
        (dict(hidden_dropout_prob=1.5), "hidden_dropout_prob"),
        (dict(hidden_act="tanh"), "hidden_act"),
        (dict(pad_token_id=40000), "pad_token_id"),
    ],
)
def test_invalid_configs_raise_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BertConfig(**kwargs)


def test_unknown_preset() -> None:
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        BertConfig.from_preset("huge")


def test_json_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    c = BertConfig.from_preset("mini", num_labels=3, id2label={0: "neg", 1: "neu", 2: "pos"})
    c.extra["custom_field"] = 7
    c.to_json(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "bert" and data["label2id"] == {"neg": 0, "neu": 1, "pos": 2}
    again = BertConfig.from_json(tmp_path)
    assert again == c and again.extra["custom_field"] == 7


def test_transformers_reads_our_config(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    BertConfig.from_preset("small").to_json(tmp_path)
    theirs = transformers.BertConfig.from_pretrained(str(tmp_path))
    assert (theirs.num_hidden_layers, theirs.hidden_size, theirs.num_attention_heads) == (4, 512, 8)


@pytest.mark.parametrize(
    "content,message",
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('{"model_type": "gpt2"}', "not a BERT config")],
)
def test_bad_config_files(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        BertConfig.from_json(tmp_path)
