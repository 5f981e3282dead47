"""Are the attributions faithful? ERASER's comprehensiveness (DeYoung et al. 2020).

Delete the most important fraction of the input (by an attribution's scores) and see how much the
predicted class's probability falls; compare with deleting the same number of randomly chosen units.
A faithful explanation points at what the model really used, so removing it hurts far more than
removing random words. Units are word pieces or whole words; [CLS] and [SEP] are never removed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from ..batching import eval_mode, model_device
from .attributions import Attribution

__all__ = ["Comprehensiveness", "comprehensiveness"]


@dataclass(frozen=True)
class Comprehensiveness:
    """Probability drops of the explained class: top units removed vs random units removed."""

    probability: float  # with the whole input
    top_drop: float  # P(input) − P(input without the top units)
    random_drop: float  # the same for random units, averaged over trials
    removed: int  # units removed each time


def _units(a: Attribution, unit: str) -> list[tuple[list[int], float]]:
    """(piece positions, score) of each removable unit: every non-special piece, or every word."""
    units: dict[tuple[int, int], tuple[list[int], float]] = {}
    for t, (word, segment) in enumerate(zip(a.word_ids, a.segments)):
        if word is None:
            continue
        key = (segment, word) if unit == "words" else (segment, t)
        pieces, score = units.get(key, ([], 0.0))
        units[key] = (pieces + [t], score + a.scores[t])
    return list(units.values())


def _probability_without(model: nn.Module, a: Attribution, input_ids: list[int], removed: set[int]) -> float:
    keep = [t for t in range(len(input_ids)) if t not in removed]
    device = model_device(model)
    ids = torch.tensor([[input_ids[t] for t in keep]], device=device)  # (1, T')
    types = torch.tensor([[a.segments[t] for t in keep]], device=device)  # (1, T')
    with torch.inference_mode():
        return float(model(ids, None, types).logits.float().softmax(-1)[0, a.label_id])


def comprehensiveness(
    model: nn.Module,
    a: Attribution,
    input_ids: list[int],
    *,
    fraction: float = 0.2,
    unit: Literal["pieces", "words"] = "words",
    trials: int = 5,
    seed: int = 0,
) -> Comprehensiveness:
    """Comprehensiveness of a classifier attribution `a` of the input `input_ids` (aligned with `a.tokens`).

    Raises:
        ValueError: a fraction outside (0, 1), or an input with nothing to remove.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    units = _units(a, unit)
    if not units:
        raise ValueError("the input has no words to remove")
    k = max(1, round(fraction * len(units)))
    with eval_mode(model):
        full = _probability_without(model, a, input_ids, set())
        top = sorted(range(len(units)), key=lambda u: units[u][1], reverse=True)[:k]
        top_p = _probability_without(model, a, input_ids, {t for u in top for t in units[u][0]})
        rng = random.Random(seed)
        random_ps = [
            _probability_without(
                model, a, input_ids, {t for u in rng.sample(range(len(units)), k) for t in units[u][0]}
            )
            for _ in range(trials)
        ]
    return Comprehensiveness(full, full - top_p, full - sum(random_ps) / trials, k)
