"""Real weights: the packaged MiniLM encoder, and save_pretrained → transformers round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import bert_core
from bert_core import BertConfig

transformers = pytest.importorskip("transformers")

SENTENCES = [
    "The stock market rose sharply in early trading.",
    "She sells sea shells by the sea shore.",
    "Bonjour, ça va? Très bien, merci!",
    "In 1969, Apollo 11 landed on the Moon at 20:17 UTC.",
    "I can't believe it's not butter!!!",
    "Transformers use self-attention to mix information across tokens.",
    "A",
    "The quick brown fox jumps over the lazy dog " * 6,
    "E = mc^2, according to Einstein's 1905 paper.",
    "naïve café résumé coöperate",
    "What time does the 7:45 train leave from platform 9¾?",
    "Emoji 😀 and symbols ★ ☂ are rare in the vocabulary.",
    "東京 is the capital of Japan.",
    "URLs like https://example.com/path?x=1 are split into pieces.",
    'He said: "Don\'t go there."',
    "Unbelievably, the antidisestablishmentarianism debate resurfaced.",
]
PAIRS = [
    ("Where is the cat?", "The cat is on the mat."),
    ("The market fell.", "Investors sold their shares in a panic as prices dropped 5%."),
    ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare around 1600."),
    ("Is it raining?", "No."),
    ("BERT is pretrained with two tasks.", "Masked language modelling and next sentence prediction."),
    ("Short.", "A much longer second segment that forces the first one to be padded in the batch."),
]


@pytest.fixture(scope="module")
def minilm(minilm_path: Path):
    hf_tok = transformers.BertTokenizerFast.from_pretrained(str(minilm_path))
    ours = bert_core.BertModel.from_pretrained(minilm_path).eval()
    theirs = transformers.BertModel.from_pretrained(str(minilm_path), attn_implementation="eager").eval()
    return hf_tok, ours, theirs


def test_minilm_config_and_no_missing_weights(minilm) -> None:
    _, ours, _ = minilm
    assert (ours.config.num_hidden_layers, ours.config.hidden_size, ours.config.num_attention_heads) == (6, 384, 12)
    assert ours.config.vocab_size == 30522
    assert ours.loading_report["missing"] == []


@pytest.mark.parametrize("group", ["sentences", "pairs"])
def test_minilm_hidden_states_and_attentions_match(minilm, group: str) -> None:
    hf_tok, ours, theirs = minilm
    if group == "sentences":
        enc = hf_tok(SENTENCES, padding=True, return_tensors="pt")
    else:
        enc = hf_tok([a for a, _ in PAIRS], [b for _, b in PAIRS], padding=True, return_tensors="pt")
    assert (enc["attention_mask"] == 0).any(), "the batch must contain padding"
    with torch.no_grad():
        a = ours(**enc, output_attentions=True, output_hidden_states=True)
        b = theirs(**enc, output_attentions=True, output_hidden_states=True)
    real = enc["attention_mask"].bool()
    for x, y in zip(a.hidden_states, b.hidden_states, strict=True):
        torch.testing.assert_close(x[real], y[real], atol=1e-5, rtol=0)
    for x, y in zip(a.attentions, b.attentions, strict=True):
        torch.testing.assert_close(x.transpose(1, 2)[real], y.transpose(1, 2)[real], atol=1e-5, rtol=0)
    torch.testing.assert_close(a.pooler_output, b.pooler_output, atol=1e-5, rtol=0)


def test_minilm_loads_into_pretraining_model_with_fresh_heads(minilm_path: Path) -> None:
    model = bert_core.BertForPreTraining.from_pretrained(minilm_path)
    missing = set(model.loading_report["missing"])
    assert missing == {
        "cls.predictions.bias",
        "cls.predictions.transform.dense.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.LayerNorm.bias",
        "cls.seq_relationship.weight",
        "cls.seq_relationship.bias",
    }
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize(
    "name",
    ["BertForPreTraining", "BertForMaskedLM", "BertForSequenceClassification", "BertForQuestionAnswering", "BertModel"],
)
def test_transformers_loads_our_save_pretrained(name: str, tiny_config: BertConfig, tmp_path: Path) -> None:
    ours = getattr(bert_core, name)(tiny_config).eval()
    ours.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    theirs = getattr(transformers, name).from_pretrained(str(tmp_path), attn_implementation="eager").eval()
    again = getattr(bert_core, name).from_pretrained(tmp_path).eval()
    ids = torch.randint(5, 99, (2, 6))
    with torch.no_grad():
        outs = [m(ids) for m in (ours, theirs, again)]
    field = {
        "BertModel": "last_hidden_state",
        "BertForPreTraining": "prediction_logits",
        "BertForQuestionAnswering": "start_logits",
    }.get(name, "logits")
    for other in outs[1:]:
        torch.testing.assert_close(getattr(other, field), getattr(outs[0], field), atol=1e-5, rtol=0)
    if name == "BertForPreTraining":
        torch.testing.assert_close(outs[1].seq_relationship_logits, outs[0].seq_relationship_logits, atol=1e-5, rtol=0)


def test_we_load_transformers_save_pretrained(tiny_config: BertConfig, tmp_path: Path) -> None:
    hf_config = transformers.BertConfig(**tiny_config.to_dict())
    theirs = transformers.BertForPreTraining(hf_config).eval()
    theirs.save_pretrained(str(tmp_path))
    ours = bert_core.BertForPreTraining.from_pretrained(tmp_path).eval()
    assert ours.loading_report == {"missing": [], "unexpected": []}
    ids = torch.randint(5, 99, (2, 6))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).prediction_logits, theirs(ids).prediction_logits, atol=1e-5, rtol=0)


def test_mismatched_head_size_is_a_clear_error(tiny_config: BertConfig, tmp_path: Path) -> None:
    bert_core.BertForSequenceClassification(tiny_config).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="classifier.weight"):
        bert_core.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    model = bert_core.BertForSequenceClassification.from_pretrained(
        tmp_path, num_labels=3, ignore_mismatched_sizes=True
    )
    assert model.classifier.out_features == 3
    assert "classifier.weight" in model.loading_report["missing"]


def test_missing_weights_file_is_a_clear_error(tiny_config: BertConfig, tmp_path: Path) -> None:
    tiny_config.to_json(tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"not unpickled")
    with pytest.raises(FileNotFoundError, match="never unpickled"):
        bert_core.BertModel.from_pretrained(tmp_path)
