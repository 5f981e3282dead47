"""Model queries for the app's pages and the training monitor: batched, under `torch.inference_mode()`.

Every function takes a model (`BertForPreTraining`, `BertForMaskedLM`, or anything with a `.bert`
encoder and a `.cls.predictions` head) and, where text is involved, a `Tokenizer`. Nothing here
changes the model; callers that share a model with a training thread call from that thread (the
trainer's callbacks) or use a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

import torch
from torch import Tensor, nn

from ..batching import batch_from_encodings, eval_mode, model_device, model_inputs
from ..model import BertModel, rows_of
from ..model.heads import BertLMPredictionHead
from ..tokenizer import MASK, Tokenizer
from .encoder import as_task_model

__all__ = [
    "FillMaskResult",
    "MaskPrediction",
    "NextSentencePrediction",
    "count_masks",
    "fill_mask",
    "has_mlm_head",
    "mlm_head_trained",
    "next_sentence",
    "predict_masked",
]


class _MLMHeads(Protocol):
    predictions: BertLMPredictionHead


class _MaskedLM(Protocol):
    """What `predict_masked` reads from a model that `has_mlm_head`."""

    bert: BertModel
    cls: _MLMHeads


@dataclass
class MaskPrediction:
    """The top-k guesses at one position."""

    position: int  # token index in the encoded sequence ([CLS] is 0)
    tokens: list[str]  # best first
    ids: list[int]
    probs: list[float]  # softmax probabilities, summing to <= 1


@dataclass
class FillMaskResult:
    """Predictions for every [MASK] of one input text."""

    text: str
    tokens: list[str]  # the encoded sequence, specials included
    masks: list[MaskPrediction]  # one per [MASK], in order
    truncated: bool = False  # the text was cut to the model's length


@dataclass
class NextSentencePrediction:
    is_next_prob: float  # P(segment B follows A)
    random_prob: float  # P(segment B is a random sentence)


def has_mlm_head(model: nn.Module) -> bool:
    """True if the model carries a masked-LM head at all."""
    return hasattr(model, "bert") and hasattr(getattr(model, "cls", None), "predictions")


def mlm_head_trained(model: nn.Module) -> bool:
    """True if the MLM head holds trained weights, not a fresh initialisation.

    A checkpoint without `cls.*` weights (e.g. a sentence encoder like MiniLM) loads into a task
    model with a random head, listed in `loading_report["missing"]`; its guesses would be noise.
    """
    if not has_mlm_head(model):
        return False
    missing = getattr(model, "loading_report", {}).get("missing", [])
    return not any(key.startswith("cls.predictions") for key in missing)


def _to(tensor: Tensor | None, device: torch.device) -> Tensor | None:
    return None if tensor is None else tensor.to(device)


@torch.inference_mode()
def predict_masked(
    model: nn.Module,
    input_ids: Tensor,
    positions: Tensor,
    *,
    token_type_ids: Tensor | None = None,
    attention_mask: Tensor | None = None,
    top_k: int = 5,
) -> tuple[Tensor, Tensor]:
    """Top-k vocabulary guesses at selected positions, decoding only those positions.

    Args:
        model: a model with `.bert` and `.cls.predictions`.
        input_ids: (B, T) token ids.
        positions: (B, T) bool, True where a guess is wanted (N positions in all).
        token_type_ids: (B, T) segment ids, or None for all 0.
        attention_mask: (B, T) 1 for tokens, 0 for padding; None when nothing is padded.
        top_k: guesses per position (capped at the vocabulary size).

    Returns:
        (probs (N, k), ids (N, k)) in the row-major order of `positions`, best first.

    Raises:
        ValueError: the model has no MLM head.
    """
    if not has_mlm_head(model):
        raise ValueError(f"{type(model).__name__} has no masked-LM head")
    mlm = cast(_MaskedLM, model)  # checked above: it has `.bert` and `.cls.predictions`
    device = model_device(model)
    with eval_mode(model):
        rows, valid = rows_of(positions.to(device))  # (B, P)
        hidden = mlm.bert(
            input_ids.to(device), _to(attention_mask, device), _to(token_type_ids, device), last_rows=rows
        ).last_hidden_state[valid]  # (N, C): the last layer on these rows only
        logits = mlm.cls.predictions(hidden).float()  # (N, V)
    probs = logits.softmax(-1)
    top = probs.topk(min(top_k, probs.size(-1)), dim=-1)
    return top.values.cpu(), top.indices.cpu()


def fill_mask(
    model: nn.Module, tokenizer: Tokenizer, texts: list[str], top_k: int = 5, max_length: int | None = None
) -> list[FillMaskResult]:
    """Top-k predictions for every `[MASK]` in each text, in one batched forward pass.

    Args:
        model: a model with an MLM head (see `mlm_head_trained` to know if its guesses mean anything).
        tokenizer: the model's tokenizer; `[MASK]` in the text maps to its mask id.
        texts: inputs, each with zero or more `[MASK]`s (a text without one gets no predictions).
        top_k: guesses per mask.
        max_length: most tokens per text (default: the model's `max_position_embeddings`).

    Returns:
        One `FillMaskResult` per text, in order.

    Raises:
        ValueError: the model has no MLM head.
    """
    if not texts:
        return []
    model_limit: int = getattr(getattr(model, "config", None), "max_position_embeddings", 512)
    limit = max_length or model_limit
    encodings = tokenizer.encode_batch(list(texts), max_length=limit, padding=True)
    full_lengths = [len(e) for e in tokenizer.encode_batch(list(texts))]
    inputs = model_inputs(batch_from_encodings(encodings))
    input_ids = inputs["input_ids"]
    assert input_ids is not None  # model_inputs always sets input_ids; only attention_mask may be None
    positions = input_ids == tokenizer.mask_token_id  # (B, T)
    results = [
        FillMaskResult(t, [tok for tok, m in zip(e.tokens, e.attention_mask) if m], [], n > limit)
        for t, e, n in zip(texts, encodings, full_lengths)
    ]
    if not bool(positions.any()):
        return results
    probs, ids = predict_masked(
        model,
        input_ids,
        positions,
        token_type_ids=inputs["token_type_ids"],
        attention_mask=inputs["attention_mask"],
        top_k=top_k,
    )
    rows, cols = positions.nonzero(as_tuple=True)  # row-major, the order of `probs`
    for n, (row, col) in enumerate(zip(rows.tolist(), cols.tolist())):
        guess_ids = ids[n].tolist()
        results[row].masks.append(
            MaskPrediction(col, tokenizer.convert_ids_to_tokens(guess_ids), guess_ids, probs[n].tolist())
        )
    return results


@torch.inference_mode()
def next_sentence(
    model: nn.Module, input_ids: Tensor, token_type_ids: Tensor, attention_mask: Tensor | None = None
) -> list[NextSentencePrediction]:
    """NSP probabilities for a batch of `[CLS] A [SEP] B [SEP]` sequences (B, T).

    Raises:
        ValueError: the model has no NSP head (`cls.seq_relationship`).
    """
    head = getattr(getattr(model, "cls", None), "seq_relationship", None)
    if head is None:
        raise ValueError(f"{type(model).__name__} has no next-sentence head")
    device = model_device(model)
    with eval_mode(model):
        out = as_task_model(model).bert(
            input_ids.to(device), attention_mask=_to(attention_mask, device), token_type_ids=token_type_ids.to(device)
        )
        probs = head(out.pooler_output).float().softmax(-1).cpu()  # (B, 2)
    return [NextSentencePrediction(float(p[0]), float(p[1])) for p in probs]


def count_masks(text: str) -> int:
    """How many `[MASK]` tokens a text holds (as typed; case-sensitive like the tokenizer)."""
    return text.count(MASK)
