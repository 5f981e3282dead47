"""bert_core.inspect.fill_mask: batched fill-mask decoding only at [MASK] positions, NSP probabilities."""

from __future__ import annotations

import pytest
import torch

from bert_core import BertForPreTraining, BertModel
from bert_core.inspect.fill_mask import fill_mask, mlm_head_trained, next_sentence, predict_masked


def test_fill_mask_batched_matches_single(model, tokenizer) -> None:
    texts = ["the cat sat on the [MASK] .", "[MASK] dog ran", "no masks here at all"]
    batch = fill_mask(model, tokenizer, texts, top_k=3)
    assert [len(r.masks) for r in batch] == [1, 1, 0]
    assert batch[0].masks[0].position == 6 and batch[1].masks[0].position == 1
    for text, result in zip(texts, batch):
        single = fill_mask(model, tokenizer, [text], top_k=3)[0]
        for a, b in zip(result.masks, single.masks):
            assert a.ids == b.ids
            assert a.probs == pytest.approx(b.probs, abs=1e-5)
    probs = batch[0].masks[0].probs
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_fill_mask_equals_full_softmax(model, tokenizer) -> None:
    result = fill_mask(model, tokenizer, ["the [MASK] sat on a [MASK]"], top_k=4)[0]
    enc = tokenizer.encode("the [MASK] sat on a [MASK]")
    with torch.inference_mode():
        full = model(torch.tensor([enc.input_ids])).prediction_logits[0].softmax(-1)  # (T, V)
    for mask in result.masks:
        expected = full[mask.position].topk(4)
        assert mask.ids == expected.indices.tolist()
        assert mask.probs == pytest.approx(expected.values.tolist(), abs=1e-5)
        assert mask.tokens == tokenizer.convert_ids_to_tokens(mask.ids)


def test_training_mode_is_restored(model, tokenizer) -> None:
    model.train()
    fill_mask(model, tokenizer, ["the [MASK]"], top_k=1)
    assert model.training


def test_truncation_flag_and_empty(model, tokenizer) -> None:
    assert fill_mask(model, tokenizer, []) == []
    long = " ".join(["cat"] * 100) + " [MASK]"
    result = fill_mask(model, tokenizer, [long], max_length=16)[0]
    assert result.truncated and result.masks == [] and len(result.tokens) == 16


def test_no_head_is_refused_and_untrained_head_detected(model, tokenizer, tmp_path) -> None:
    encoder = BertModel(model.config)
    with pytest.raises(ValueError, match="masked-LM head"):
        predict_masked(encoder, torch.tensor([[2, 4, 3]]), torch.tensor([[False, True, False]]))
    assert mlm_head_trained(model)
    encoder.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded = BertForPreTraining.from_pretrained(tmp_path)
    assert not mlm_head_trained(reloaded)


def test_next_sentence_probabilities(model, tokenizer) -> None:
    enc = tokenizer.encode_batch(["the cat sat", "a dog"], ["on the mat", "ran"], padding=True)
    ids = torch.tensor([e.input_ids for e in enc])
    types = torch.tensor([e.token_type_ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    out = next_sentence(model, ids, types, mask)
    assert len(out) == 2 and all(p.is_next_prob + p.random_prob == pytest.approx(1.0) for p in out)
