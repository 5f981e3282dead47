"""Attention between whole words instead of word pieces (Clark et al. 2019's convention).

Attention *to* a word is the sum over its pieces (how much attention lands anywhere on the word);
attention *from* a word is the mean over its pieces (each piece's row is a distribution, so the mean
is one too). Every row of the merged map therefore still sums to 1: no attention is lost or invented.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["word_groups", "merge_attention"]


def word_groups(tokens: Sequence[str]) -> tuple[list[str], list[int]]:
    """Words from WordPiece pieces: a `##` piece joins the word before it; specials stay alone.

    Returns:
        (the words' texts, the word index of each piece).
    """
    words: list[str] = []
    group: list[int] = []
    for i, token in enumerate(tokens):
        if token.startswith("##") and i > 0 and not tokens[i - 1].startswith("["):
            words[-1] += token[2:]
        else:
            words.append(token)
        group.append(len(words) - 1)
    return words, group


def merge_attention(attention: np.ndarray, group: Sequence[int]) -> np.ndarray:
    """Merge the last two axes of `attention` (..., T, T) into words: (..., W, W).

    Args:
        attention: piece-to-piece attention, rows summing to 1.
        group: the word index (0..W-1, non-decreasing) of each of the T pieces.
    """
    group_arr = np.asarray(group)
    n_words = int(group_arr.max()) + 1 if group_arr.size else 0
    onehot = np.zeros((len(group_arr), n_words), dtype=attention.dtype)  # (T, W)
    onehot[np.arange(len(group_arr)), group_arr] = 1.0
    to_words = attention @ onehot  # (..., T, W): summed over the pieces of each target word
    mean_rows = onehot / onehot.sum(0, keepdims=True)  # (T, W): averaging weights
    return np.swapaxes(mean_rows, 0, 1) @ to_words  # (..., W, W): averaged over the pieces of each source
