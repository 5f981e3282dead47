"""Model queries for the app's pages and the training monitor: batched, under `torch.inference_mode()`.

Every function takes a model (`BertForPreTraining`, `BertForMaskedLM`, or anything with a `.bert`
encoder and a `.cls.predictions` head) and, where text is involved, a `Tokenizer`. Nothing here
changes the model; callers that share a model with a training thread call from that thread (the
trainer's callbacks) or use a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .tokenizer import CLS, MASK, SEP, Tokenizer

__all__ = [
    "HEAD_STATISTICS",
    "AttentionMaps",
    "EmbeddingSet",
    "FillMaskResult",
    "MaskPrediction",
    "NextSentencePrediction",
    "attentions",
    "count_masks",
    "embeddings",
    "fill_mask",
    "has_mlm_head",
    "head_statistics",
    "mlm_head_trained",
    "next_sentence",
    "predict_masked",
]


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


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


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
    was_training = model.training
    model.eval()
    try:
        device = _device(model)
        hidden = model.bert.hidden_at(
            input_ids.to(device), positions.to(device), _to(attention_mask, device), _to(token_type_ids, device)
        )  # (N, C): the last layer on these rows only
        logits = model.cls.predictions(hidden).float()  # (N, V)
        probs = logits.softmax(-1)
        top = probs.topk(min(top_k, probs.size(-1)), dim=-1)
        return top.values.cpu(), top.indices.cpu()
    finally:
        model.train(was_training)


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
    limit = max_length or getattr(getattr(model, "config", None), "max_position_embeddings", 512)
    encodings = tokenizer.encode_batch(list(texts), max_length=limit, padding=True)
    full_lengths = [len(e) for e in tokenizer.encode_batch(list(texts))]
    input_ids = torch.tensor([e.input_ids for e in encodings])  # (B, T)
    attention = torch.tensor([e.attention_mask for e in encodings])  # (B, T)
    types = torch.tensor([e.token_type_ids for e in encodings])  # (B, T)
    positions = input_ids == tokenizer.mask_token_id  # (B, T)
    results = [
        FillMaskResult(t, [tok for tok, m in zip(e.tokens, e.attention_mask) if m], [], n > limit)
        for t, e, n in zip(texts, encodings, full_lengths)
    ]
    if not bool(positions.any()):
        return results
    padded = bool((attention == 0).any())
    probs, ids = predict_masked(
        model, input_ids, positions, token_type_ids=types, attention_mask=attention if padded else None, top_k=top_k
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
    was_training = model.training
    model.eval()
    try:
        device = _device(model)
        out = model.bert(
            input_ids.to(device), attention_mask=_to(attention_mask, device), token_type_ids=token_type_ids.to(device)
        )
        probs = head(out.pooler_output).float().softmax(-1).cpu()  # (B, 2)
    finally:
        model.train(was_training)
    return [NextSentencePrediction(float(p[0]), float(p[1])) for p in probs]


def count_masks(text: str) -> int:
    """How many `[MASK]` tokens a text holds (as typed; case-sensitive like the tokenizer)."""
    return text.count(MASK)


# ---------------------------------------------------------------- inspection: attention and embeddings
def _encoder(model: nn.Module) -> nn.Module:
    """The bare `BertModel` inside a task model (or the model itself)."""
    return getattr(model, "bert", model)


def _max_length(model: nn.Module, default: int = 512) -> int:
    return getattr(getattr(_encoder(model), "config", None), "max_position_embeddings", default)


@dataclass
class AttentionMaps:
    """Every head's attention probabilities for one input."""

    tokens: list[str]  # the encoded sequence, specials included (T tokens)
    weights: np.ndarray  # (L, H, T, T) float32; row i (a query) sums to 1 over the keys
    token_type_ids: list[int]  # 0 for segment A, 1 for segment B
    truncated: bool = False  # the input was cut to `max_length` tokens

    @property
    def segment_b_start(self) -> int | None:
        """Index of the first token of segment B, or None for a single sentence."""
        return self.token_type_ids.index(1) if 1 in self.token_type_ids else None


@torch.inference_mode()
def attentions(
    model: nn.Module, tokenizer: Tokenizer, text: str, pair: str | None = None, max_length: int | None = None
) -> AttentionMaps:
    """Attention probabilities of every layer and head for `text` (and optionally `pair`).

    Args:
        model: a `BertModel` or a model with a `.bert` encoder.
        tokenizer: the model's tokenizer.
        text: sentence A. pair: sentence B, or None/"" for a single sentence.
        max_length: most tokens (default: the model's `max_position_embeddings`).

    Returns:
        The tokens and their (L, H, T, T) attention maps.
    """
    limit = max_length or _max_length(model)
    enc = tokenizer.encode(text, pair or None, max_length=limit)
    truncated = len(enc) >= limit and len(tokenizer.encode(text, pair or None)) > limit
    encoder = _encoder(model)
    was_training = encoder.training
    encoder.eval()
    try:
        device = _device(encoder)
        maps = encoder.attention_maps(
            torch.tensor([enc.input_ids], device=device),
            token_type_ids=torch.tensor([enc.token_type_ids], device=device),
        )
    finally:
        encoder.train(was_training)
    weights = torch.stack(maps, dim=1)[0].float().cpu().numpy()  # (L, H, T, T)
    return AttentionMaps(list(enc.tokens), weights, list(enc.token_type_ids), truncated)


# name → label, in display order; see `head_statistics`
HEAD_STATISTICS = {
    "entropy": "entropy (bits)",
    "cls": "attention to [CLS]",
    "sep": "attention to [SEP]",
    "prev": "to the previous token",
    "next": "to the next token",
    "self": "to itself",
}


def head_statistics(attn: np.ndarray, tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-head summaries that reveal "positional" and "delimiter" heads (Clark et al., 2019).

    Args:
        attn: (L, H, T, T) attention probabilities (rows are queries).
        tokens: the T tokens.

    Returns:
        One (L, H) array per key of `HEAD_STATISTICS`, each averaged over the T query positions:
        `entropy` in bits (0 = all weight on one token, log2 T = uniform), the weight on all `[CLS]`
        and on all `[SEP]` tokens, on the token just before (`prev`, queries 1..T-1), just after
        (`next`, queries 0..T-2), and on the query token itself (`self`).

    Raises:
        ValueError: `attn` is not (L, H, T, T) with T = len(tokens).
    """
    attn = np.asarray(attn, dtype=np.float64)
    T = len(tokens)
    if attn.ndim != 4 or attn.shape[-2:] != (T, T):
        raise ValueError(f"expected attention of shape (L, H, {T}, {T}) for {T} tokens, got {attn.shape}")
    plogp = np.where(attn > 0, attn * np.log2(np.where(attn > 0, attn, 1.0)), 0.0)
    cls = np.array([t == CLS for t in tokens])
    sep = np.array([t == SEP for t in tokens])
    rows = np.arange(T)
    zeros = np.zeros(attn.shape[:2])
    return {
        "entropy": -plogp.sum(-1).mean(-1),
        "cls": attn[..., cls].sum(-1).mean(-1) if cls.any() else zeros,
        "sep": attn[..., sep].sum(-1).mean(-1) if sep.any() else zeros,
        "prev": attn[..., rows[1:], rows[1:] - 1].mean(-1) if T > 1 else zeros,
        "next": attn[..., rows[:-1], rows[:-1] + 1].mean(-1) if T > 1 else zeros,
        "self": attn[..., rows, rows].mean(-1),
    }


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
    encoder = _encoder(model)
    n_layers = encoder.config.num_hidden_layers
    layers = [layer] if isinstance(layer, int) else list(layer)
    if any(not -n_layers - 1 <= n <= n_layers for n in layers) or not layers:
        raise ValueError(f"layers must be in [-{n_layers + 1}, {n_layers}] for a {n_layers}-layer model, got {layer}")
    layers = [n % (n_layers + 1) for n in layers]
    texts = list(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    limit = min(max_length, _max_length(model))
    rows: dict[tuple[int, int], tuple[np.ndarray, list[str]]] = {}  # (layer, text) → (k, C) vectors, tokens
    was_training = encoder.training
    encoder.eval()
    try:
        device = _device(encoder)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encs = tokenizer.encode_batch([texts[i] for i in batch], max_length=limit, padding=True)
            ids = torch.tensor([e.input_ids for e in encs], device=device)  # (B, T)
            mask = torch.tensor([e.attention_mask for e in encs], device=device)  # (B, T)
            padded = bool((mask == 0).any())
            out = encoder(ids, attention_mask=mask if padded else None, output_hidden_states=True)
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
    finally:
        encoder.train(was_training)
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
