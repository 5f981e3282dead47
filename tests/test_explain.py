"""Why did it say that: attributions, attention rollout, the layer-by-layer lens, word-level attention, probes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bert_core import BertConfig, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification
from bert_core.inspect.attributions import _baseline, explain_answer, explain_classifier
from bert_core.inspect.faithfulness import comprehensiveness
from bert_core.inspect.fill_mask import fill_mask
from bert_core.inspect.lens import NoMLMHead, layer_predictions
from bert_core.inspect.probes import fit_probes
from bert_core.inspect.rollout import rollout
from bert_core.inspect.word_attention import merge_attention, word_groups

TEXT = "the cat sat on the mat . the dog ran"


def _config(tokenizer, **kw) -> BertConfig:
    return BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        **kw,
    )


@pytest.fixture
def classifier(tokenizer):
    torch.manual_seed(0)
    return BertForSequenceClassification(_config(tokenizer, num_labels=3)).eval()


def _prob(model, ids: torch.Tensor, label: int) -> float:
    with torch.inference_mode():
        return float(model(ids).logits.float().softmax(-1)[0, label])


def test_integrated_gradients_add_up_to_the_change_in_probability(classifier, tokenizer) -> None:
    a = explain_classifier(classifier, tokenizer, TEXT, method="integrated_gradients", steps=64)
    enc = tokenizer.encode(TEXT)
    ids = torch.tensor([enc.input_ids])
    fx, fb = (
        _prob(classifier, ids, a.label_id),
        _prob(classifier, _baseline(ids, enc, tokenizer.pad_token_id), a.label_id),
    )
    assert a.probability == pytest.approx(fx, abs=1e-6)
    assert a.label_id == int(classifier(ids).logits.argmax())  # the predicted class by default
    assert abs(sum(a.scores) - (fx - fb)) <= abs(a.delta) + 1e-6  # completeness, within the reported delta
    assert abs(a.delta) < 0.02 * max(abs(fx - fb), 1e-3)  # and the path integral converged
    assert len(a.scores) == len(a.tokens) == len(a.offsets) == len(enc.input_ids)


def test_grad_x_input_is_the_gradient_times_the_word_embedding(classifier, tokenizer) -> None:
    a = explain_classifier(classifier, tokenizer, TEXT, method="grad_x_input", target=1)
    ids = torch.tensor([tokenizer.encode(TEXT).input_ids])
    emb = classifier.bert.embeddings.word_embeddings
    words = emb(ids).detach().requires_grad_(True)  # (1, T, C)
    handle = emb.register_forward_hook(lambda *_: words)
    try:
        classifier(ids).logits.softmax(-1)[0, 1].backward()
    finally:
        handle.remove()
    expected = (words.grad * words).sum(-1)[0]  # (T,)
    assert a.label_id == 1 and a.delta is None
    torch.testing.assert_close(torch.tensor(a.scores), expected.detach(), rtol=1e-4, atol=1e-7)


def test_rollout_rows_sum_to_one_and_identity_attention_rolls_out_to_itself() -> None:
    attn = torch.rand(3, 4, 6, 6).softmax(-1)  # (L, nh, T, T)
    flow = rollout(attn)
    torch.testing.assert_close(flow.sum(-1), torch.ones(6))
    eye = torch.eye(6).expand(3, 4, 6, 6)
    torch.testing.assert_close(rollout(eye), torch.eye(6))


def test_rollout_scores_of_a_classifier_are_the_cls_row(classifier, tokenizer) -> None:
    a = explain_classifier(classifier, tokenizer, TEXT, method="rollout")
    assert sum(a.scores) == pytest.approx(1.0, abs=1e-5) and min(a.scores) >= 0


def test_words_merge_pieces_and_conserve_the_scores(classifier, tokenizer) -> None:
    a = explain_classifier(classifier, tokenizer, "the cat sat", method="grad_x_input")
    a.tokens, a.word_ids = ["[CLS]", "the", "ca", "##t", "sat", "[SEP]"], [None, 0, 1, 1, 2, None]
    a.offsets, a.segments = [(0, 0), (0, 3), (4, 6), (6, 7), (8, 11), (0, 0)], [0] * 6
    a.scores = [0.5, 0.1, 0.2, 0.3, -0.4, 0.7]
    words = a.words()
    assert [w.text for w in words] == ["the", "cat", "sat"]
    assert [round(w.score, 6) for w in words] == [0.1, 0.5, -0.4]


def test_qa_attribution_targets_a_context_piece(tokenizer) -> None:
    torch.manual_seed(0)
    model = BertForQuestionAnswering(_config(tokenizer)).eval()
    for which in ("start", "end"):
        a = explain_answer(model, tokenizer, "who sat ?", "the cat sat on the mat", which=which, steps=16)
        assert a.label == which and a.segments[a.label_id] == 1 and a.word_ids[a.label_id] is not None
        assert abs(a.delta) < 0.05 and {w.segment for w in a.words()} == {0, 1}
    with pytest.raises(ValueError, match="question and a context"):
        explain_answer(model, tokenizer, " ", "the mat")


def test_bad_method_and_empty_text_are_refused(classifier, tokenizer) -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        explain_classifier(classifier, tokenizer, TEXT, method="lime")
    with pytest.raises(ValueError, match="no text"):
        explain_classifier(classifier, tokenizer, "   ")


def test_the_lens_last_layer_is_the_fill_mask_prediction(tokenizer) -> None:
    torch.manual_seed(0)
    model = BertForMaskedLM(_config(tokenizer)).eval()
    text = "the cat [MASK] on the [MASK] ."
    tables = layer_predictions(model, tokenizer, text, top_k=4)
    filled = fill_mask(model, tokenizer, [text], top_k=4)[0].masks
    assert [t.position for t in tables] == [m.position for m in filled]
    for table, mask in zip(tables, filled):
        assert table.layers == [0, 1, 2] and len(table.pieces) == 3 and all(len(r) == 4 for r in table.pieces)
        assert table.pieces[-1] == mask.tokens
        np.testing.assert_allclose(table.probabilities[-1], mask.probs, atol=1e-6)
    assert layer_predictions(model, tokenizer, "no blank here") == []


def test_the_lens_says_when_a_model_has_no_mlm_head(classifier, tokenizer) -> None:
    with pytest.raises(NoMLMHead, match="no masked-LM head"):
        layer_predictions(classifier, tokenizer, "the [MASK] sat")


def test_word_attention_conserves_mass() -> None:
    words, group = word_groups(["[CLS]", "un", "##believ", "##able", "cat", "[SEP]"])
    assert words == ["[CLS]", "unbelievable", "cat", "[SEP]"] and group == [0, 1, 1, 1, 2, 3]
    attn = np.random.default_rng(0).random((2, 3, 6, 6))
    attn /= attn.sum(-1, keepdims=True)
    merged = merge_attention(attn, group)  # (2, 3, 4, 4)
    assert merged.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(merged.sum(-1), 1.0, atol=1e-12)
    # to "unbelievable" from "cat": the sum over its three pieces; from "unbelievable": the mean of three rows
    np.testing.assert_allclose(merged[..., 2, 1], attn[..., 4, 1:4].sum(-1))
    np.testing.assert_allclose(merged[..., 1, 2], attn[..., 1:4, 4].mean(-1))


def test_probes_find_the_layer_that_encodes_the_label_and_beat_the_control() -> None:
    rng = np.random.default_rng(0)
    n, width = 600, 16
    labels = rng.integers(0, 2, n)
    features = rng.normal(size=(4, n, width))  # (L + 1, N, C): noise everywhere …
    features[2, :, 3] += 2.0 * (2 * labels - 1)  # … but layer 2 carries the label on one axis
    control = rng.normal(size=(4, n, width))
    train = np.arange(n) % 4 != 0
    acc, ctrl = fit_probes(features, labels, train), fit_probes(control, labels, train)
    assert int(np.argmax(acc)) == 2 and acc[2] > 0.9
    assert max(ctrl) < 0.65 and acc[2] > max(ctrl) + 0.25


def test_comprehensiveness_removes_the_top_words_and_random_words(classifier, tokenizer) -> None:
    a = explain_classifier(classifier, tokenizer, TEXT, method="grad_x_input")
    ids = tokenizer.encode(TEXT).input_ids
    c = comprehensiveness(classifier, a, ids, fraction=0.2, unit="words", trials=3)
    assert c.probability == pytest.approx(a.probability, abs=1e-6) and c.removed == 2  # 20% of 10 words
    # the two best words by score, removed by hand, give the same drop
    words = a.words()
    best = sorted(range(len(words)), key=lambda j: words[j].score, reverse=True)[:2]
    drop = {t for t, w in enumerate(a.word_ids) if w in best}
    kept = [i for t, i in enumerate(ids) if t not in drop]
    with torch.inference_mode():
        p = float(classifier(torch.tensor([kept])).logits.softmax(-1)[0, a.label_id])
    assert c.top_drop == pytest.approx(c.probability - p, abs=1e-6)
    with pytest.raises(ValueError, match="fraction"):
        comprehensiveness(classifier, a, ids, fraction=1.5)
