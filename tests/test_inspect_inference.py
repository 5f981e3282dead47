"""bert_core.inspect: attention maps, head statistics, embeddings; bert_core.inspect.projection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bert_core.inspect import projection
from bert_core.inspect.attention import HEAD_STATISTICS, attentions, head_statistics
from bert_core.inspect.embeddings import embeddings


def hand_built() -> tuple[np.ndarray, list[str]]:
    """Four heads over `[CLS] a b [SEP]` with statistics known by hand."""
    T = 4
    uniform = np.full((T, T), 1 / T)
    identity = np.eye(T)
    previous = np.zeros((T, T))
    previous[0, 0] = 1
    previous[np.arange(1, T), np.arange(T - 1)] = 1
    to_sep = np.zeros((T, T))
    to_sep[:, 3] = 1
    return np.stack([uniform, identity, previous, to_sep])[None], ["[CLS]", "a", "b", "[SEP]"]  # (1, 4, T, T)


def test_head_statistics_of_a_hand_built_matrix() -> None:
    attn, tokens = hand_built()
    stats = head_statistics(attn, tokens)
    assert list(stats) == list(HEAD_STATISTICS) and all(v.shape == (1, 4) for v in stats.values())
    expected = {  # heads: uniform, identity, previous token, all on [SEP]
        "entropy": [2.0, 0.0, 0.0, 0.0],
        "cls": [0.25, 0.25, 0.5, 0.0],
        "sep": [0.25, 0.25, 0.0, 1.0],
        "prev": [0.25, 0.0, 1.0, 0.0],
        "next": [0.25, 0.0, 0.0, 1 / 3],
        "self": [0.25, 1.0, 0.25, 0.25],
    }
    for name, values in expected.items():
        assert stats[name][0] == pytest.approx(values), name


def test_head_statistics_rejects_a_wrong_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        head_statistics(np.zeros((1, 1, 3, 3)), ["[CLS]", "a"])


def test_attentions_match_the_model_and_sum_to_one(model, tokenizer) -> None:
    maps = attentions(model, tokenizer, "the cat sat", "a dog ran")
    assert maps.tokens == ["[CLS]", "the", "cat", "sat", "[SEP]", "a", "dog", "ran", "[SEP]"]
    assert maps.weights.shape == (2, 4, 9, 9) and maps.segment_b_start == 5
    np.testing.assert_allclose(maps.weights.sum(-1), 1.0, atol=1e-5)
    ids = torch.tensor([tokenizer.encode("the cat sat", "a dog ran").input_ids])
    types = torch.tensor([[0] * 5 + [1] * 4])
    with torch.inference_mode():
        reference = model.bert(ids, token_type_ids=types, output_attentions=True).attentions
    np.testing.assert_allclose(maps.weights[1], reference[1][0].numpy(), atol=1e-6)
    assert attentions(model, tokenizer, "the cat").segment_b_start is None
    model.train()
    attentions(model, tokenizer, "the cat")
    assert model.training


def test_embeddings_pooling_batched_equals_single(model, tokenizer) -> None:
    texts = ["the cat sat on the mat .", "a dog", "the dog ran on a mat"]
    seen = []
    mean = embeddings(
        model,
        tokenizer,
        texts,
        layer=-1,
        pooling="mean",
        batch_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert mean.vectors.shape == (3, 32) and mean.tokens is None and list(mean.text_index) == [0, 1, 2]
    assert seen == [(2, 3), (3, 3)] and list(mean.layer) == [2, 2, 2]
    for i, text in enumerate(texts):  # padding in the batch changes nothing
        ids = torch.tensor([tokenizer.encode(text).input_ids])
        with torch.inference_mode():
            hidden = model.bert(ids, output_hidden_states=True).hidden_states
        np.testing.assert_allclose(mean.vectors[i], hidden[2][0].mean(0).numpy(), atol=1e-5)
        cls = embeddings(model, tokenizer, [text], layer=1, pooling="cls")
        np.testing.assert_allclose(cls.vectors[0], hidden[1][0, 0].numpy(), atol=1e-5)


def test_token_embeddings_skip_specials_and_stack_layers(model, tokenizer) -> None:
    emb = embeddings(model, tokenizer, ["the cat sat", "a dog"], layer=[0, 2], pooling="tokens")
    assert emb.tokens == ["the", "cat", "sat", "a", "dog"] * 2
    assert list(emb.text_index) == [0, 0, 0, 1, 1] * 2 and list(emb.layer) == [0] * 5 + [2] * 5
    assert emb.vectors.shape == (10, 32) and emb.vectors.dtype == np.float32
    with pytest.raises(ValueError, match="pooling"):
        embeddings(model, tokenizer, ["the"], pooling="max")
    with pytest.raises(ValueError, match="layers"):
        embeddings(model, tokenizer, ["the"], layer=3)


def test_pca_and_nearest_neighbours() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.05, (20, 8)) + 1, rng.normal(0, 0.05, (20, 8)) - 1])
    x[:, 0] *= 10  # one dominant direction
    coords = projection.project(x, "pca", 3)
    assert coords.shape == (40, 3) and coords.dtype == np.float32
    assert (np.sign(coords[:20, 0]) != np.sign(coords[20:, 0].mean())).all()  # PC1 splits the two groups
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    idx, sims = projection.nearest_neighbours(vectors, 0, k=2)
    assert idx.tolist() == [1, 2] and sims[0] == pytest.approx(0.9 / math.hypot(0.9, 0.1))
    idx, _ = projection.nearest_neighbours(vectors, 3, k=10)
    assert sorted(idx.tolist()) == [0, 1, 2] and 3 not in idx
    assert projection.pca(np.ones((1, 4))).shape == (1, 2)
    with pytest.raises(ValueError):
        projection.project(x, "tsne")


@pytest.mark.slow
def test_umap_keeps_clusters_apart() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (3, 16))
    x = np.concatenate([c + rng.normal(0, 0.02, (30, 16)) for c in centres])
    coords = projection.project(x, "umap", 2, n_neighbors=10, min_dist=0.1)
    assert coords.shape == (90, 2) and np.isfinite(coords).all()
    for k in range(3):  # each point's nearest map neighbour is in its own cluster
        group = coords[30 * k : 30 * (k + 1)]
        others = np.delete(coords, slice(30 * k, 30 * (k + 1)), axis=0)
        centre = group.mean(0)
        assert np.linalg.norm(group - centre, axis=1).max() < np.linalg.norm(others - centre, axis=1).min()
    assert projection.project(x[:3], "umap").shape == (3, 2)  # too few points: PCA
