"""Masked-language-model corruption: choose the tokens to predict and corrupt them (BERT's 80/10/10 rule).

Pure, vectorised functions over a ``(B, T)`` batch, driven by an explicit ``torch.Generator`` so that tests
can check the statistics and a training run can be replayed exactly. The selection rule is Google's
``create_masked_lm_predictions``: per sequence, ``min(max_predictions, max(1, round(p * n_candidates)))``
tokens chosen uniformly at random; with word starts, whole words are chosen in random order and a word that
would overflow that budget is skipped (Google's ``continue``), so a word is never split.
"""

from __future__ import annotations

from typing import Literal, overload

import torch
from torch import Tensor

IGNORE_INDEX = -100
"""Label of a position that is not predicted (ignored by ``F.cross_entropy``)."""

KIND_NONE, KIND_MASK, KIND_RANDOM, KIND_KEPT = 0, 1, 2, 3
"""Values of the ``mask_kind`` tensor: not selected, replaced by [MASK], replaced by a random id, kept."""


def num_to_predict(n_candidates: Tensor, mlm_probability: float, max_predictions: int | None) -> Tensor:
    """How many tokens each sequence predicts (Google's rule).

    Args:
        n_candidates: ``(B,)`` integer tensor, the number of maskable tokens per sequence.
        mlm_probability: fraction of candidates to select.
        max_predictions: cap per sequence, or ``None`` for no cap.

    Returns:
        ``(B,)`` long tensor: ``round(p * n)``, at least 1 where ``n > 0``, at most ``n`` and ``max_predictions``.
    """
    n = n_candidates.long()
    k = torch.round(n.double() * mlm_probability).long()
    k = torch.minimum(torch.maximum(k, (n > 0).long()), n)
    if max_predictions is not None:
        k = k.clamp(max=max_predictions)
    return k


def _select_tokens(special_mask: Tensor, budget: Tensor, gen: torch.Generator) -> Tensor:
    """Choose ``budget[b]`` candidate positions of each row uniformly at random; returns ``(B, T)`` bool."""
    B, T = special_mask.shape
    scores = torch.rand((B, T), generator=gen).masked_fill_(special_mask, 2.0)  # candidates sort first
    order = scores.argsort(dim=1)  # (B, T)
    in_budget = torch.arange(T).expand(B, T) < budget[:, None]  # (B, T) by rank
    return torch.zeros_like(special_mask).scatter_(1, order, in_budget)


def _select_whole_words(special_mask: Tensor, word_starts: Tensor, budget: Tensor, gen: torch.Generator) -> Tensor:
    """Choose whole words in random order until ``budget`` tokens are taken; returns ``(B, T)`` bool.

    A word is a start token and the continuation tokens after it. A token right after a special token (or at
    position 0) starts a word whatever its flag says, so a word never spans [SEP]. Words that would overflow
    the budget are skipped and later, shorter words may still fill it, exactly as Google's loop does; this is
    done for the whole batch at once (a prefix pass, then at most ``longest word - 1`` fill-in passes).
    """
    B, T = special_mask.shape
    cand = ~special_mask
    after_special = torch.ones_like(special_mask)
    after_special[:, 1:] = special_mask[:, :-1]
    starts = cand & (word_starts | after_special)  # (B, T)
    word_id = starts.long().cumsum(dim=1) - 1  # (B, T) word index of each token
    n_words = starts.sum(dim=1)  # (B,)
    W = int(n_words.max()) if B > 0 else 0
    if W == 0:
        return torch.zeros_like(special_mask)
    rows = torch.arange(B)
    flat = (rows[:, None] * W + word_id)[cand]
    word_len = torch.bincount(flat, minlength=B * W).view(B, W)  # (B, W) tokens per word
    valid = torch.arange(W).expand(B, W) < n_words[:, None]  # (B, W)
    word_len = word_len.masked_fill(~valid, T + 1)  # padding words never fit

    scores = torch.rand((B, W), generator=gen).masked_fill_(~valid, 2.0)
    order = scores.argsort(dim=1)  # (B, W) words in random order
    sorted_len = word_len.gather(1, order)  # (B, W)
    taken = sorted_len.cumsum(dim=1) <= budget[:, None]  # (B, W) the prefix that fits
    remaining = budget - (sorted_len * taken).sum(dim=1)  # (B,)
    last = taken.sum(dim=1)  # (B,) first word that did not fit
    active = rows[remaining > 0]  # rows that may still take a word
    positions = torch.arange(W)
    while active.numel() > 0:
        fits = (positions > last[active, None]) & (sorted_len[active] <= remaining[active, None])  # (A, W)
        found = fits.any(dim=1)
        active, fits = active[found], fits[found]
        j = fits.to(torch.int8).argmax(dim=1)  # first fitting word in random order
        taken[active, j] = True
        remaining[active] -= sorted_len[active, j]
        last[active] = j
        active = active[remaining[active] > 0]

    word_taken = torch.zeros_like(taken).scatter_(1, order, taken)  # (B, W) back in word order
    return cand & word_taken.gather(1, word_id.clamp(min=0))


@overload
def mask_tokens(
    input_ids: Tensor,
    special_mask: Tensor,
    vocab_size: int,
    mask_token_id: int,
    gen: torch.Generator,
    *,
    mlm_probability: float = 0.15,
    max_predictions: int | None = None,
    word_starts: Tensor | None = None,
    random_token_low: int = 0,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    return_kinds: Literal[False] = False,
) -> tuple[Tensor, Tensor]: ...


@overload
def mask_tokens(
    input_ids: Tensor,
    special_mask: Tensor,
    vocab_size: int,
    mask_token_id: int,
    gen: torch.Generator,
    *,
    mlm_probability: float = 0.15,
    max_predictions: int | None = None,
    word_starts: Tensor | None = None,
    random_token_low: int = 0,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    return_kinds: Literal[True],
) -> tuple[Tensor, Tensor, Tensor]: ...


@overload
def mask_tokens(
    input_ids: Tensor,
    special_mask: Tensor,
    vocab_size: int,
    mask_token_id: int,
    gen: torch.Generator,
    *,
    mlm_probability: float = 0.15,
    max_predictions: int | None = None,
    word_starts: Tensor | None = None,
    random_token_low: int = 0,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    return_kinds: bool = False,
) -> tuple[Tensor, Tensor] | tuple[Tensor, Tensor, Tensor]: ...


def mask_tokens(
    input_ids: Tensor,
    special_mask: Tensor,
    vocab_size: int,
    mask_token_id: int,
    gen: torch.Generator,
    *,
    mlm_probability: float = 0.15,
    max_predictions: int | None = None,
    word_starts: Tensor | None = None,
    random_token_low: int = 0,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    return_kinds: bool = False,
) -> tuple[Tensor, Tensor] | tuple[Tensor, Tensor, Tensor]:
    """Select tokens to predict and corrupt them for masked language modelling.

    Per sequence, ``min(max_predictions, max(1, round(mlm_probability * n_candidates)))`` candidate tokens are
    selected uniformly at random (candidates: positions where ``special_mask`` is False). Each selected token is
    independently replaced by ``mask_token_id`` with probability ``mask_replace_prob`` (0.8), by a random id with
    probability ``random_replace_prob`` (0.1), and otherwise left unchanged. A random id may by chance equal the
    original; it still counts as kind "random". Randomness is drawn in a fixed order and amount for a given
    shape, so the same generator state gives the same output.

    Args:
        input_ids: ``(B, T)`` integer token ids.
        special_mask: ``(B, T)`` bool, True for [CLS]/[SEP]/[PAD] and anything else that must never be selected.
        vocab_size: size of the vocabulary; random ids are drawn from ``[random_token_low, vocab_size)``.
        mask_token_id: id of [MASK].
        gen: the generator every random choice is drawn from.
        mlm_probability: fraction of candidates to select.
        max_predictions: cap on selected tokens per sequence (Google's ``max_predictions_per_seq``), or None.
        word_starts: ``(B, T)`` bool, True where a token starts a word (False for ``##`` pieces). Given, whole
            words are selected and never split; the budget is still counted in tokens and a word that would
            overflow it is skipped, so a sequence can end up with fewer tokens than the budget (even none, if
            every word is longer than it). The 80/10/10 decision stays per token.
        random_token_low: lowest id a random replacement may take. Pass the first non-special id (e.g. 999 in
            the uncased BERT vocabulary, 5 in a vocabulary that starts with the five special tokens) so that a
            random replacement is never [PAD]/[CLS]/[SEP]/[MASK]/[UNK]; the default 0 is Google's behaviour.
        mask_replace_prob: probability that a selected token becomes [MASK].
        random_replace_prob: probability that a selected token becomes a random id.
        return_kinds: also return the ``(B, T)`` int8 kind of each position (``KIND_*``: 0 none, 1 [MASK],
            2 random, 3 kept), for display.

    Returns:
        ``(masked_input_ids, labels)`` or, with ``return_kinds``, ``(masked_input_ids, labels, kinds)``.
        ``masked_input_ids`` and ``labels`` are ``(B, T)`` with the dtype of ``input_ids``; ``labels`` holds the
        original id at selected positions and ``-100`` elsewhere.

    Raises:
        ValueError: on mismatched shapes, a non-bool mask, or out-of-range probabilities or ids.
    """
    if input_ids.dim() != 2 or special_mask.shape != input_ids.shape:
        raise ValueError(
            f"input_ids must be (B, T) and special_mask the same shape, got {tuple(input_ids.shape)} "
            f"and {tuple(special_mask.shape)}"
        )
    if special_mask.dtype != torch.bool:
        raise ValueError(f"special_mask must be bool, got {special_mask.dtype}")
    if word_starts is not None and (word_starts.shape != input_ids.shape or word_starts.dtype != torch.bool):
        raise ValueError(
            f"word_starts must be a bool tensor of shape {tuple(input_ids.shape)}, "
            f"got {word_starts.dtype} {tuple(word_starts.shape)}"
        )
    if not 0.0 <= mlm_probability <= 1.0:
        raise ValueError(f"mlm_probability must be in [0, 1], got {mlm_probability}")
    if mask_replace_prob < 0 or random_replace_prob < 0 or mask_replace_prob + random_replace_prob > 1.0:
        raise ValueError(
            f"mask_replace_prob and random_replace_prob must be >= 0 with a sum <= 1, "
            f"got {mask_replace_prob} and {random_replace_prob}"
        )
    if max_predictions is not None and max_predictions < 1:
        raise ValueError(f"max_predictions must be >= 1 or None, got {max_predictions}")
    if not 0 <= random_token_low < vocab_size:
        raise ValueError(f"need 0 <= random_token_low < vocab_size, got {random_token_low} and {vocab_size}")

    B, T = input_ids.shape
    budget = num_to_predict((~special_mask).sum(dim=1), mlm_probability, max_predictions)  # (B,)
    if word_starts is None:
        selected = _select_tokens(special_mask, budget, gen)
    else:
        selected = _select_whole_words(special_mask, word_starts, budget, gen)

    u = torch.rand((B, T), generator=gen)  # (B, T)
    to_mask = selected & (u < mask_replace_prob)
    to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    random_ids = torch.randint(random_token_low, vocab_size, (B, T), generator=gen, dtype=input_ids.dtype)

    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_ids, masked)
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    if not return_kinds:
        return masked, labels
    kinds = torch.zeros((B, T), dtype=torch.int8)
    kinds[selected] = KIND_KEPT
    kinds[to_mask] = KIND_MASK
    kinds[to_random] = KIND_RANDOM
    return masked, labels, kinds
