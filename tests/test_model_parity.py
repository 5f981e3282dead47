"""Parity with Hugging Face `transformers` (eager attention): same weights give the same numbers."""

from __future__ import annotations

import pytest
import torch
from hf_reference import hf_model

import bert_core
from bert_core import BertConfig

transformers = pytest.importorskip("transformers")

ATOL = 1e-5
HEADS = [
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForQuestionAnswering",
]


def padded_batch(vocab: int, batch: int = 13, seq: int = 7) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    input_ids = torch.randint(5, vocab, (batch, seq), generator=gen)
    lengths = torch.randint(2, seq + 1, (batch,), generator=gen)
    lengths[0] = seq
    attention_mask = (torch.arange(seq)[None, :] < lengths[:, None]).long()
    input_ids = input_ids.masked_fill(attention_mask == 0, 0)
    token_type_ids = (torch.arange(seq)[None, :] >= (lengths[:, None] // 2)).long() * attention_mask
    return dict(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)


def assert_close(ours: torch.Tensor, theirs: torch.Tensor, mask: torch.Tensor | None = None) -> None:
    assert ours.shape == theirs.shape
    if mask is not None:  # compare only rows of real tokens: padded rows are don't-care in both
        ours, theirs = ours[mask.bool()], theirs[mask.bool()]
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", HEADS)
def test_state_dict_moves_both_ways_strictly(name: str, tiny_config: BertConfig) -> None:
    theirs = hf_model(name, tiny_config)
    ours = getattr(bert_core, name)(tiny_config).eval()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    fresh = hf_model(name, tiny_config)
    fresh.load_state_dict(ours.state_dict(), strict=True)
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[key], value, atol=0, rtol=0)


@pytest.mark.parametrize("name", HEADS)
def test_every_head_matches_transformers(name: str, tiny_config: BertConfig) -> None:
    theirs = hf_model(name, tiny_config)
    ours = getattr(bert_core, name)(tiny_config).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    batch = padded_batch(tiny_config.vocab_size)
    mask = batch["attention_mask"]
    with torch.no_grad():
        a = ours(**batch, output_attentions=True, output_hidden_states=True)
        b = theirs(**batch, output_attentions=True, output_hidden_states=True)
    assert len(a.hidden_states) == len(b.hidden_states) == tiny_config.num_hidden_layers + 1
    for x, y in zip(a.hidden_states, b.hidden_states):
        assert_close(x, y, mask)
    assert len(a.attentions) == len(b.attentions) == tiny_config.num_hidden_layers
    for x, y in zip(a.attentions, b.attentions):
        assert x.shape == (13, tiny_config.num_attention_heads, 7, 7)
        assert_close(x.transpose(1, 2), y.transpose(1, 2), mask)  # rows of real query tokens
    fields = {
        "BertModel": [("last_hidden_state", True), ("pooler_output", False)],
        "BertForPreTraining": [("prediction_logits", True), ("seq_relationship_logits", False)],
        "BertForMaskedLM": [("logits", True)],
        "BertForSequenceClassification": [("logits", False)],
        "BertForQuestionAnswering": [("start_logits", True), ("end_logits", True)],
    }[name]
    for field, per_token in fields:
        ours_value, theirs_value = getattr(a, field), getattr(b, field)
        if field.endswith("_logits") and name == "BertForQuestionAnswering":
            # Padded positions are ignored at decoding time; compare the real ones.
            torch.testing.assert_close(ours_value[mask.bool()], theirs_value[mask.bool()], atol=ATOL, rtol=0)
        else:
            assert_close(ours_value, theirs_value, mask if per_token else None)


def test_losses_match_transformers(tiny_config: BertConfig) -> None:
    batch = padded_batch(tiny_config.vocab_size)
    gen = torch.Generator().manual_seed(2)
    labels = torch.full_like(batch["input_ids"], -100)
    chosen = (torch.rand(labels.shape, generator=gen) < 0.3) & batch["attention_mask"].bool()
    chosen[0, 1] = True
    labels[chosen] = batch["input_ids"][chosen]
    nsp = torch.randint(0, 2, (13,), generator=gen)
    cls_labels = torch.randint(0, 2, (13,), generator=gen)
    starts, ends = torch.randint(0, 7, (13,), generator=gen), torch.randint(0, 7, (13,), generator=gen)
    cases = [
        ("BertForPreTraining", dict(labels=labels, next_sentence_label=nsp)),
        ("BertForMaskedLM", dict(labels=labels)),
        ("BertForSequenceClassification", dict(labels=cls_labels)),
        ("BertForQuestionAnswering", dict(start_positions=starts, end_positions=ends)),
    ]
    for name, kwargs in cases:
        theirs = hf_model(name, tiny_config)
        ours = getattr(bert_core, name)(tiny_config).eval()
        ours.load_state_dict(theirs.state_dict(), strict=True)
        with torch.no_grad():
            torch.testing.assert_close(ours(**batch, **kwargs).loss, theirs(**batch, **kwargs).loss, atol=ATOL, rtol=0)


def test_sparse_mlm_decoding_equals_full_decoding(tiny_config: BertConfig) -> None:
    model = bert_core.BertForPreTraining(tiny_config).eval()
    batch = padded_batch(tiny_config.vocab_size)
    labels = torch.full_like(batch["input_ids"], -100)
    labels[:, 2] = batch["input_ids"][:, 2]
    with torch.no_grad():
        sparse = model(**batch, labels=labels, sparse_mlm=True)
        full = model(**batch, labels=labels, sparse_mlm=False)
    assert sparse.prediction_logits.shape == (13, tiny_config.vocab_size)
    torch.testing.assert_close(sparse.prediction_logits, full.prediction_logits[:, 2], atol=ATOL, rtol=0)
    torch.testing.assert_close(sparse.mlm_loss, full.mlm_loss, atol=ATOL, rtol=0)


def test_fast_path_without_mask_equals_all_ones_mask(tiny_config: BertConfig) -> None:
    """No mask (fused SDPA, no mask built) must equal an explicit all-ones mask and eager attention."""
    model = bert_core.BertModel(tiny_config).eval()
    ids = torch.randint(5, 99, (3, 9))
    with torch.no_grad():
        fast = model(ids).last_hidden_state
        masked = model(ids, attention_mask=torch.ones_like(ids)).last_hidden_state
        eager = model(ids, output_attentions=True).last_hidden_state
    torch.testing.assert_close(fast, masked, atol=ATOL, rtol=0)
    torch.testing.assert_close(fast, eager, atol=ATOL, rtol=0)


def test_decoder_is_tied_to_word_embeddings(tiny_config: BertConfig) -> None:
    for cls in (bert_core.BertForPreTraining, bert_core.BertForMaskedLM):
        model = cls(tiny_config)
        decoder = model.cls.predictions.decoder
        assert decoder.weight is model.bert.embeddings.word_embeddings.weight
        assert decoder.bias is model.cls.predictions.bias
