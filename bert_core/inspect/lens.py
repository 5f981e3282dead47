"""Layer by layer ("logit lens"): what the model would guess for a blank after each layer.

The hidden state at a `[MASK]` after layer l (l = 0 is the embeddings) goes through the model's own,
final masked-LM head, as if the remaining layers were skipped. Early layers usually guess frequent or
copy-like pieces; the guess sharpens into the final answer in the upper layers. The last row is the
model's real fill-mask prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..batching import batch_from_encodings, eval_mode, model_device
from ..tokenizer import Tokenizer
from .encoder import as_task_model

__all__ = ["LensTable", "NoMLMHead", "layer_predictions"]


class NoMLMHead(ValueError):
    """The model has no masked-LM head (e.g. the packaged MiniLM, a sentence encoder)."""


@dataclass
class LensTable:
    """Top-k guesses at one `[MASK]`, one row per layer: `pieces[l][j]` with probability `probabilities[l][j]`."""

    position: int  # the [MASK]'s index in `tokens`
    tokens: list[str]  # the input pieces
    layers: list[int]  # 0 = embeddings, then 1..L
    pieces: list[list[str]]  # (L + 1, k)
    probabilities: list[list[float]]  # (L + 1, k), best first


def layer_predictions(
    model: nn.Module, tokenizer: Tokenizer, text: str, *, top_k: int = 5, max_length: int | None = None
) -> list[LensTable]:
    """One `LensTable` per `[MASK]` in `text`, in order (none if the text has no `[MASK]`).

    Raises:
        NoMLMHead: the model has no masked-LM head.
        ValueError: an empty text.
    """
    predictions = getattr(getattr(model, "cls", None), "predictions", None)
    if predictions is None or not hasattr(model, "bert"):
        raise NoMLMHead(
            f"{type(model).__name__} has no masked-LM head, so it cannot guess words: "
            "pick a pretrained run (the packaged MiniLM is a sentence encoder without one)"
        )
    if not text.strip():
        raise ValueError("there is no text to look at")
    task_model = as_task_model(model)  # checked above: it has `.bert`
    limit = max_length or task_model.config.max_position_embeddings
    enc = tokenizer.encode(text, max_length=limit)
    batch = batch_from_encodings([enc], model_device(model))
    ids, types = batch["input_ids"], batch["token_type_ids"]  # (1, T) each
    positions = (ids[0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    if not positions:
        return []
    with eval_mode(model):
        with torch.inference_mode():
            hidden = task_model.bert(ids, None, types, output_hidden_states=True).hidden_states  # (L + 1) × (1, T, C)
            at_masks = torch.stack([h[0, positions] for h in hidden])  # (L + 1, M, C)
            probs = predictions(at_masks).float().softmax(-1)  # (L + 1, M, V)
            top = probs.topk(min(top_k, probs.size(-1)), dim=-1)  # (L + 1, M, k)
    tables = []
    for m, position in enumerate(positions):
        ids_lk = top.indices[:, m].tolist()  # (L + 1, k)
        tables.append(
            LensTable(
                position=position,
                tokens=enc.tokens,
                layers=list(range(len(hidden))),
                pieces=[tokenizer.convert_ids_to_tokens(row) for row in ids_lk],
                probabilities=top.values[:, m].tolist(),
            )
        )
    return tables
