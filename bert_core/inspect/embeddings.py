"""Hidden states of texts at chosen layers, pooled per sentence or per token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..batching import batch_from_encodings, eval_mode, model_device, model_inputs
from ..tokenizer import Tokenizer
from .encoder import encoder_of, max_positions

__all__ = ["POOLINGS", "EmbeddingSet", "embeddings"]

POOLINGS = ("cls", "mean", "tokens")


@dataclass
class EmbeddingSet:
    """Vectors from one or more layers: one per text (sentence pooling) or one per token."""

    vectors: np.ndarray  # (N, C) float32
    text_index: np.ndarray  # (N,) int: the input text each row comes from
    layer: np.ndarray  # (N,) int: 0 = the embedding layer's output, L = the last encoder layer
    tokens: list[str] | None  # (N,) the token of each row for pooling="tokens", else None


@torch.inference_mode()
def embeddings(
    model: nn.Module,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    layer: int | Sequence[int] = -1,
    pooling: str = "cls",
    batch_size: int = 32,
    max_length: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> EmbeddingSet:
    """Hidden states of `texts` at one or several layers, batched, pooled per sentence or per token.

    Texts are sorted by length before batching so that a batch holds texts of similar length (less
    padding); rows come back in the input order, layer by layer.

    Args:
        model: a `BertModel` or a model with a `.bert` encoder.
        tokenizer: the model's tokenizer.
        texts: the inputs.
        layer: 0 (embeddings) … L (last layer); negative counts from the end (-1 = last). A list
            of layers stacks their rows (for colouring by layer).
        pooling: "cls" (the [CLS] vector), "mean" (mean over every non-padding token, specials
            included, as sentence encoders are trained) or "tokens" (one row per word piece,
            [CLS]/[SEP] left out).
        batch_size: texts per forward pass.
        max_length: most tokens per text.
        progress: called as `progress(done, total)` after each batch.

    Raises:
        ValueError: an unknown pooling or a layer out of range.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    encoder = encoder_of(model)
    n_layers = encoder.config.num_hidden_layers
    layers = [layer] if isinstance(layer, int) else list(layer)
    if any(not -n_layers - 1 <= n <= n_layers for n in layers) or not layers:
        raise ValueError(f"layers must be in [-{n_layers + 1}, {n_layers}] for a {n_layers}-layer model, got {layer}")
    layers = [n % (n_layers + 1) for n in layers]
    texts = list(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    limit = min(max_length, max_positions(model))
    rows: dict[tuple[int, int], tuple[np.ndarray, list[str]]] = {}  # (layer, text) → (k, C) vectors, tokens
    device = model_device(encoder)
    with eval_mode(encoder):
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encs = tokenizer.encode_batch([texts[i] for i in batch], max_length=limit, padding=True)
            inputs = batch_from_encodings(encs, device)
            mask = inputs["attention_mask"]  # (B, T)
            out = encoder(**model_inputs(inputs), output_hidden_states=True)
            keep = mask.bool() & ~torch.tensor([e.special_tokens_mask for e in encs], device=device).bool()
            for li in layers:
                hidden = out.hidden_states[li].float()  # (B, T, C)
                if pooling == "cls":
                    pooled = hidden[:, 0]  # (B, C)
                elif pooling == "mean":
                    weights = mask[..., None].float()  # (B, T, 1)
                    pooled = (hidden * weights).sum(1) / weights.sum(1)  # (B, C)
                for b, i in enumerate(batch):
                    if pooling == "tokens":
                        toks = [t for t, k in zip(encs[b].tokens, keep[b].tolist()) if k]
                        rows[li, i] = hidden[b][keep[b]].cpu().numpy(), toks  # (k, C)
                    else:
                        rows[li, i] = pooled[b : b + 1].cpu().numpy(), []
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
    keys = [(li, i) for li in layers for i in range(len(texts))]
    width = encoder.config.hidden_size
    vectors = np.concatenate([rows[k][0] for k in keys]) if keys else np.zeros((0, width), np.float32)
    counts = [len(rows[k][0]) for k in keys]
    return EmbeddingSet(
        vectors=vectors.astype(np.float32, copy=False),
        text_index=np.repeat([i for _, i in keys], counts).astype(int),
        layer=np.repeat([li for li, _ in keys], counts).astype(int),
        tokens=[t for k in keys for t in rows[k][1]] if pooling == "tokens" else None,
    )
