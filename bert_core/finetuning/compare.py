"""Before/after views of fine-tuning: what changed inside the encoder, on the same inputs.

`compare_embeddings` embeds the same texts with the starting model and the fine-tuned one;
`class_separation` scores how far apart the classes sit in each (fine-tuning a classifier pulls
them apart); `cls_attention` is where the [CLS] token — the one the classifier reads — looks in
the last layer. NumPy out; the models are only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from ..inspect.attention import AttentionMaps, attentions
from ..inspect.embeddings import embeddings
from ..inspect.projection import normalise
from ..tokenizer.encoding import Tokenizer

__all__ = [
    "AttentionPair",
    "EmbeddingPair",
    "class_separation",
    "cls_attention",
    "compare_attention",
    "compare_embeddings",
]


@dataclass
class EmbeddingPair:
    before: np.ndarray  # (N, C) sentence vectors from the starting model
    after: np.ndarray  # (N, C) from the fine-tuned model


def compare_embeddings(
    before: nn.Module,
    after: nn.Module,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    pooling: str = "cls",
    layer: int = -1,
    max_length: int = 128,
) -> EmbeddingPair:
    """Sentence vectors of `texts` (one per text) at `layer` under both models.

    `pooling="cls"` by default: the [CLS] vector is what a sequence classifier reads, so it is where
    fine-tuning shows most.
    """

    def vectors(model: nn.Module) -> np.ndarray:
        return embeddings(model, tokenizer, texts, layer=layer, pooling=pooling, max_length=max_length).vectors

    return EmbeddingPair(vectors(before), vectors(after))


def class_separation(vectors: np.ndarray, labels: Sequence[str]) -> float:
    """How far apart the classes are relative to their spread, in cosine geometry (higher: more apart).

    The mean distance between class centroids of the unit-normalised vectors divided by the mean
    distance of a vector to its own class centroid. About 0 when the labels are unrelated to the
    vectors, large when each class forms its own tight cluster.

    Raises:
        ValueError: fewer than 2 classes, or a length mismatch.
    """
    x = normalise(vectors)
    labels = list(labels)
    if len(labels) != len(x):
        raise ValueError(f"{len(labels)} labels for {len(x)} vectors")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(f"class separation needs at least 2 classes, got {classes}")
    y = np.array([classes.index(label) for label in labels])
    centroids = np.stack([x[y == c].mean(0) for c in range(len(classes))])  # (K, C)
    within = float(np.linalg.norm(x - centroids[y], axis=1).mean())
    between = [np.linalg.norm(centroids[i] - centroids[j]) for i in range(len(classes)) for j in range(i)]
    return float(np.mean(between)) / max(within, 1e-12)


def cls_attention(maps: AttentionMaps, layer: int = -1) -> np.ndarray:
    """(T,) attention of the [CLS] query over the tokens at `layer`, averaged over the heads."""
    return maps.weights[layer, :, 0, :].mean(0)


@dataclass
class AttentionPair:
    tokens: list[str]
    before: np.ndarray  # (T,) [CLS] attention, last layer, mean over heads, starting model
    after: np.ndarray  # (T,) the same, fine-tuned model


def compare_attention(
    before: nn.Module,
    after: nn.Module,
    tokenizer: Tokenizer,
    text: str,
    pair: str | None = None,
    *,
    max_length: int = 64,
) -> AttentionPair:
    """The last layer's [CLS] attention over the tokens of `text` (and `pair`) under both models."""
    a = attentions(before, tokenizer, text, pair, max_length=max_length)
    b = attentions(after, tokenizer, text, pair, max_length=max_length)
    return AttentionPair(a.tokens, cls_attention(a), cls_attention(b))
