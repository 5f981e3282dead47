"""The fast path (fused QKV matmul, last layer on the rows a head reads) equals the reference path.

Reference = the full forward (every row through every layer, full-vocabulary decoding) in fp32, and
`transformers` (eager) on the same weights. Eval mode, so dropout does not draw different masks.
"""

from __future__ import annotations

import pytest
import torch
from hf_reference import hf_model

import bert_core
from bert_core import BertConfig
from bert_core.kernels import FastDropout
from bert_core.model.bert import rows_of

transformers = pytest.importorskip("transformers")

ATOL = 1e-5


def batch(vocab: int, padded: bool, size: int = 5, seq: int = 9) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    input_ids = torch.randint(5, vocab, (size, seq), generator=gen)
    token_type_ids = (torch.arange(seq) >= seq // 2).long().expand(size, seq).clone()
    out = dict(input_ids=input_ids, token_type_ids=token_type_ids)
    if padded:
        lengths = torch.tensor([seq, 3, 5, seq - 1, 2])[:size]
        mask = (torch.arange(seq)[None, :] < lengths[:, None]).long()
        out.update(
            input_ids=input_ids.masked_fill(mask == 0, 0), token_type_ids=token_type_ids * mask, attention_mask=mask
        )
    return out


def mlm_labels(b: dict[str, torch.Tensor]) -> torch.Tensor:
    """Labels at an uneven number of real positions per row (one row has none)."""
    ids = b["input_ids"]
    gen = torch.Generator().manual_seed(4)
    chosen = torch.rand(ids.shape, generator=gen) < 0.3
    chosen[0, 1] = True
    chosen[1] = False
    if "attention_mask" in b:
        chosen &= b["attention_mask"].bool()
    return torch.where(chosen, ids, torch.full_like(ids, -100))


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def assert_same_grads(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=ATOL, rtol=0, msg=key)


def test_rows_of_lists_selected_positions_in_row_major_order() -> None:
    selected = torch.tensor([[0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 1, 0]], dtype=torch.bool)
    rows, valid = rows_of(selected)
    assert rows.tolist() == [[1, 3, 0], [0, 0, 0], [0, 1, 2]]
    assert valid.tolist() == [[True, True, False], [False, False, False], [True, True, True]]
    hidden = torch.arange(12.0).view(3, 4)
    assert torch.equal(hidden.gather(1, rows)[valid], hidden[selected])
    rows, valid = rows_of(selected, with_cls=True)
    assert rows[:, 0].tolist() == [0, 0, 0] and not valid[:, 0].any()


@pytest.mark.parametrize(
    "name", ["BertModel", "BertForPreTraining", "BertForMaskedLM", "BertForSequenceClassification"]
)
def test_state_dict_keys_unchanged_and_loadable_by_transformers(name: str, tiny_config: BertConfig) -> None:
    ours = getattr(bert_core, name)(tiny_config)
    theirs = hf_model(name, tiny_config)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    assert "query.weight" in " ".join(ours.state_dict())  # no fused qkv parameter
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)


@pytest.mark.parametrize("padded", [False, True])
def test_last_rows_equals_full_forward_rows(padded: bool, tiny_config: BertConfig) -> None:
    model = bert_core.BertModel(tiny_config).eval()
    b = batch(tiny_config.vocab_size, padded)
    rows = torch.tensor([[0, 4, 4], [0, 1, 2], [8, 0, 3], [2, 7, 0], [0, 1, 0]])
    with torch.no_grad():
        full = model(**b).last_hidden_state
        part = model(b["input_ids"], b.get("attention_mask"), b["token_type_ids"], last_rows=rows).last_hidden_state
    expected = full.gather(1, rows[..., None].expand(-1, -1, full.size(-1)))
    torch.testing.assert_close(part, expected, atol=ATOL, rtol=0)


def test_partial_last_layer_refuses_hidden_states(tiny_config: BertConfig) -> None:
    model = bert_core.BertModel(tiny_config)
    x = torch.randn(2, 4, tiny_config.hidden_size)
    with pytest.raises(ValueError, match="last_rows"):
        model.encoder(x, None, output_hidden_states=True, last_rows=torch.zeros(2, 1, dtype=torch.long))


@pytest.mark.parametrize("padded", [False, True])
def test_pretraining_fast_path_equals_reference_and_transformers(padded: bool, tiny_config: BertConfig) -> None:
    model = bert_core.BertForPreTraining(tiny_config).eval()
    theirs = hf_model("BertForPreTraining", tiny_config)
    theirs.load_state_dict(model.state_dict(), strict=True)
    b = batch(tiny_config.vocab_size, padded)
    labels = mlm_labels(b)
    nsp = torch.tensor([0, 1, 1, 0, 1])
    fast = model(**b, labels=labels, next_sentence_label=nsp)  # default: sparse → fast path
    fast.loss.backward()
    fast_grads = grads(model)
    model.zero_grad()
    ref = model(**b, labels=labels, next_sentence_label=nsp, sparse_mlm=False)  # every row, full vocabulary
    ref.loss.backward()
    selected = labels != -100
    torch.testing.assert_close(fast.prediction_logits, ref.prediction_logits[selected], atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.seq_relationship_logits, ref.seq_relationship_logits, atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.mlm_loss, ref.mlm_loss, atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.loss, ref.loss, atol=ATOL, rtol=0)
    assert_same_grads(fast_grads, grads(model))
    with torch.no_grad():
        hf = theirs(**b, labels=labels, next_sentence_label=nsp)
    torch.testing.assert_close(fast.loss, hf.loss, atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.prediction_logits, hf.prediction_logits[selected], atol=ATOL, rtol=0)


@pytest.mark.parametrize("padded", [False, True])
def test_masked_lm_fast_path_and_decoding_at_last_rows(padded: bool, tiny_config: BertConfig) -> None:
    model = bert_core.BertForMaskedLM(tiny_config).eval()
    b = batch(tiny_config.vocab_size, padded)
    labels = mlm_labels(b)
    selected = labels != -100
    fast = model(**b, labels=labels)
    fast.loss.backward()
    fast_grads = grads(model)
    model.zero_grad()
    ref = model(**b, labels=labels, sparse_mlm=False)
    ref.loss.backward()
    torch.testing.assert_close(fast.logits, ref.logits[selected], atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.loss, ref.loss, atol=ATOL, rtol=0)
    assert_same_grads(fast_grads, grads(model))

    def logits_at(positions: torch.Tensor, **inputs: torch.Tensor) -> torch.Tensor:
        """What fill-mask does: the last layer and the decoder at `positions` (B, T) only → (N, V)."""
        rows, valid = rows_of(positions)
        hidden = model.bert(b["input_ids"], **inputs, last_rows=rows).last_hidden_state[valid]  # (N, C)
        return model.cls.predictions(hidden)

    with torch.inference_mode():
        at = logits_at(selected, attention_mask=b.get("attention_mask"), token_type_ids=b["token_type_ids"])
        none = logits_at(torch.zeros_like(selected))
    torch.testing.assert_close(at, ref.logits[selected].detach(), atol=ATOL, rtol=0)
    assert none.shape == (0, tiny_config.vocab_size)


@pytest.mark.parametrize("padded", [False, True])
def test_classification_fast_path_equals_reference_and_transformers(padded: bool, tiny_config: BertConfig) -> None:
    model = bert_core.BertForSequenceClassification(tiny_config).eval()
    theirs = hf_model("BertForSequenceClassification", tiny_config)
    theirs.load_state_dict(model.state_dict(), strict=True)
    b = batch(tiny_config.vocab_size, padded)
    labels = torch.tensor([0, 1, 1, 0, 1])
    fast = model(**b, labels=labels)  # only [CLS] in the last layer
    fast.loss.backward()
    fast_grads = grads(model)
    model.zero_grad()
    ref = model(**b, labels=labels, output_hidden_states=True)  # the full path
    ref.loss.backward()
    torch.testing.assert_close(fast.logits, ref.logits, atol=ATOL, rtol=0)
    torch.testing.assert_close(fast.loss, ref.loss, atol=ATOL, rtol=0)
    assert_same_grads(fast_grads, grads(model))
    with torch.no_grad():
        hf = theirs(**b, labels=labels)
    torch.testing.assert_close(fast.logits, hf.logits, atol=ATOL, rtol=0)


def test_fast_path_trains_with_dropout(tiny_config: BertConfig) -> None:
    model = bert_core.BertForPreTraining(tiny_config).train()
    b = batch(tiny_config.vocab_size, padded=True)
    out = model(**b, labels=mlm_labels(b), next_sentence_label=torch.tensor([0, 1, 1, 0, 1]))
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("padded", [False, True])
def test_attention_maps_equal_forward_attentions_and_transformers(padded: bool, tiny_config: BertConfig) -> None:
    """`attention_maps` stops at the last softmax; the maps are those of the full forward and of HF eager."""
    model = bert_core.BertModel(tiny_config).eval()
    theirs = hf_model("BertModel", tiny_config)
    theirs.load_state_dict(model.state_dict(), strict=True)
    b = batch(tiny_config.vocab_size, padded)
    with torch.inference_mode():
        maps = model.attention_maps(b["input_ids"], b.get("attention_mask"), b["token_type_ids"])
        full = model(**b, output_attentions=True).attentions
        hf = theirs(**b, output_attentions=True).attentions
    assert len(maps) == tiny_config.num_hidden_layers
    for ours, reference, hf_map in zip(maps, full, hf):
        assert ours.shape == (5, tiny_config.num_attention_heads, 9, 9)
        torch.testing.assert_close(ours, reference, atol=ATOL, rtol=0)
        torch.testing.assert_close(ours, hf_map, atol=ATOL, rtol=0)


def test_cpu_training_attention_path_equals_sdpa(monkeypatch: pytest.MonkeyPatch, tiny_config: BertConfig) -> None:
    """In training on the CPU, attention dropout takes the explicit softmax path; with the dropout made
    an identity, that path must give the eval-mode (SDPA) output and gradients exactly."""
    model = bert_core.BertModel(tiny_config)
    b = batch(tiny_config.vocab_size, padded=True)
    model.eval()
    ref = model(**b).last_hidden_state
    ref.sum().backward()
    ref_grads = grads(model)
    model.zero_grad()
    monkeypatch.setattr(FastDropout, "forward", lambda self, x: x)  # every dropout: identity
    assert type(model.encoder.layer[0].attention.self.dropout) is FastDropout
    model.train()
    assert model.encoder.layer[0].attention.self.dropout.p > 0  # the explicit path is the one taken
    out = model(**b).last_hidden_state
    out.sum().backward()
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    assert_same_grads(grads(model), ref_grads)
