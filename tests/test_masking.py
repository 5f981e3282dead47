"""MLM masking: selection statistics, the 80/10/10 split, whole words, caps and determinism."""

from __future__ import annotations

import pytest
import torch

from bert_core.pretraining.masking import (
    IGNORE_INDEX,
    KIND_KEPT,
    KIND_MASK,
    KIND_NONE,
    KIND_RANDOM,
    mask_tokens,
    num_to_predict,
)

VOCAB, MASK_ID, FIRST_REGULAR = 1000, 3, 5


def _batch(n_rows: int = 1200, length: int = 128, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random rows laid out as [CLS] A [SEP] B [SEP] [PAD]..., with ~1/3 of tokens continuing a word."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(FIRST_REGULAR, VOCAB, (n_rows, length), generator=g)
    lengths = torch.randint(length // 2, length + 1, (n_rows,), generator=g)
    sep_a = torch.randint(2, length // 2 - 2, (n_rows,), generator=g)
    pos = torch.arange(length)
    special = (pos >= lengths[:, None]) | (pos == 0) | (pos == sep_a[:, None]) | (pos == lengths[:, None] - 1)
    ids[special] = 1
    ids[pos >= lengths[:, None]] = 0
    word_starts = torch.rand((n_rows, length), generator=g) < 0.65
    return ids, special, word_starts


@pytest.fixture(scope="module")
def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return _batch()


def test_selection_rate_split_and_labels(data):
    ids, special, _ = data
    n_candidates = int((~special).sum())
    assert n_candidates >= 100_000
    masked, labels, kinds = mask_tokens(
        ids,
        special,
        VOCAB,
        MASK_ID,
        torch.Generator().manual_seed(1),
        random_token_low=FIRST_REGULAR,
        return_kinds=True,
    )
    selected = labels != IGNORE_INDEX
    assert abs(selected.sum().item() / n_candidates - 0.15) < 0.01
    assert not (selected & special).any()
    assert torch.equal(labels[selected], ids[selected])
    assert torch.equal(selected, kinds != KIND_NONE)
    n_sel = selected.sum().item()
    shares = [(kinds == k).sum().item() / n_sel for k in (KIND_MASK, KIND_RANDOM, KIND_KEPT)]
    assert shares == pytest.approx([0.8, 0.1, 0.1], abs=0.02)
    assert (masked[kinds == KIND_MASK] == MASK_ID).all()
    assert torch.equal(masked[kinds == KIND_KEPT], ids[kinds == KIND_KEPT])
    assert torch.equal(masked[~selected], ids[~selected])
    randoms = masked[kinds == KIND_RANDOM]
    assert ((randoms >= FIRST_REGULAR) & (randoms < VOCAB)).all()
    # Google's per-sequence count: round(0.15 * candidates), at least one.
    assert torch.equal(selected.sum(1), num_to_predict((~special).sum(1), 0.15, None))


def test_max_predictions_and_minimum_one():
    ids, special, _ = _batch(50)
    _, labels = mask_tokens(ids, special, VOCAB, MASK_ID, torch.Generator().manual_seed(0), max_predictions=5)
    assert ((labels != IGNORE_INDEX).sum(1) == 5).all()
    short = torch.tensor([[1, 7, 1, 0], [1, 1, 0, 0]])
    short_special = torch.tensor([[True, False, True, True], [True, True, True, True]])
    _, labels = mask_tokens(short, short_special, VOCAB, MASK_ID, torch.Generator().manual_seed(0))
    assert labels.tolist() == [[-100, 7, -100, -100], [-100] * 4]


def test_same_seed_same_output_different_seed_different(data):
    ids, special, _ = data
    runs = [mask_tokens(ids[:64], special[:64], VOCAB, MASK_ID, torch.Generator().manual_seed(s)) for s in (7, 7, 8)]
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1]))
    assert not torch.equal(runs[0][1], runs[2][1])


def _words(special_row: torch.Tensor, starts_row: torch.Tensor) -> list[list[int]]:
    """Reference word segmentation of one row: a start token plus its continuations, never across specials."""
    words: list[list[int]] = []
    for t in range(len(special_row)):
        if special_row[t]:
            continue
        if starts_row[t] or t == 0 or special_row[t - 1]:
            words.append([t])
        else:
            words[-1].append(t)
    return words


def test_whole_word_masking_never_splits_and_fills_greedily(data):
    ids, special, starts = data
    masked, labels, kinds = mask_tokens(
        ids,
        special,
        VOCAB,
        MASK_ID,
        torch.Generator().manual_seed(2),
        word_starts=starts,
        max_predictions=20,
        return_kinds=True,
    )
    selected = labels != IGNORE_INDEX
    assert not (selected & special).any()
    budgets = num_to_predict((~special).sum(1), 0.15, 20)
    for b in range(0, len(ids), 10):  # the reference check is a Python loop: sample rows
        remaining = budgets[b].item() - selected[b].sum().item()
        assert remaining >= 0
        for word in _words(special[b], starts[b]):
            flags = selected[b, word]
            assert flags.all() or not flags.any(), f"row {b} split word {word}"
            # Google's loop visits every word and skips one only if it does not fit: what is left is too long.
            assert flags.all() or len(word) > remaining
    rate = selected.sum().item() / (~special).sum().item()
    assert abs(rate - 0.15) < 0.015
    shares = [(kinds == k).sum().item() / selected.sum().item() for k in (KIND_MASK, KIND_RANDOM, KIND_KEPT)]
    assert shares == pytest.approx([0.8, 0.1, 0.1], abs=0.02)


def test_whole_word_masking_with_every_token_a_word_matches_token_count(data):
    ids, special, _ = data
    _, labels = mask_tokens(
        ids[:200],
        special[:200],
        VOCAB,
        MASK_ID,
        torch.Generator().manual_seed(3),
        word_starts=torch.ones_like(special[:200]),
    )
    assert torch.equal((labels != IGNORE_INDEX).sum(1), num_to_predict((~special[:200]).sum(1), 0.15, None))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mlm_probability": 1.5},
        {"max_predictions": 0},
        {"random_token_low": VOCAB},
        {"mask_replace_prob": 0.95, "random_replace_prob": 0.1},
        {"word_starts": torch.ones(2, 3, dtype=torch.bool)},
    ],
)
def test_invalid_arguments_raise(kwargs):
    ids, special = torch.ones(2, 4, dtype=torch.long), torch.zeros(2, 4, dtype=torch.bool)
    with pytest.raises(ValueError):
        mask_tokens(ids, special, VOCAB, MASK_ID, torch.Generator(), **kwargs)
