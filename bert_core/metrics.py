"""Evaluation metrics: classification (accuracy, macro P/R/F1, confusion matrix) and SQuAD EM/F1.

Everything returns plain Python numbers as fractions in [0, 1] (not percentages), so the values chart
next to accuracy. The SQuAD functions follow the official v2.0 evaluation script: answers are
normalised (lowercase, punctuation and the articles a/an/the removed, whitespace collapsed), a
prediction scores the best over its gold answers, and a question with no gold answer (v2 "impossible")
counts as correct exactly when the prediction is empty.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TypedDict

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "classification_metrics",
    "normalize_answer",
    "exact_match",
    "f1_score",
    "squad_metrics",
]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


# ------------------------------------------------------------------ classification
class PrecisionRecallF1(TypedDict):
    """What `precision_recall_f1` returns: per-class lists (index = class id) and their macro means."""

    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    macro_precision: float
    macro_recall: float
    macro_f1: float


def _check_pair(predictions: Sequence[int], labels: Sequence[int]) -> None:
    if len(predictions) != len(labels):
        raise ValueError(f"got {len(predictions)} predictions but {len(labels)} labels")


def accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float:
    """Fraction of predictions equal to their label; 0.0 for no examples."""
    _check_pair(predictions, labels)
    return sum(int(p) == int(y) for p, y in zip(predictions, labels)) / len(labels) if labels else 0.0


def confusion_matrix(predictions: Sequence[int], labels: Sequence[int], num_labels: int) -> list[list[int]]:
    """`matrix[gold][predicted]` counts (rows: true class, columns: predicted class).

    Raises:
        ValueError: on a length mismatch or a class id outside [0, num_labels).
    """
    _check_pair(predictions, labels)
    matrix = [[0] * num_labels for _ in range(num_labels)]
    for p, y in zip(predictions, labels):
        if not (0 <= int(p) < num_labels and 0 <= int(y) < num_labels):
            raise ValueError(f"class ids must be in [0, {num_labels}), got prediction {p} and label {y}")
        matrix[int(y)][int(p)] += 1
    return matrix


def precision_recall_f1(predictions: Sequence[int], labels: Sequence[int], num_labels: int) -> PrecisionRecallF1:
    """Per-class precision, recall and F1, and their unweighted (macro) means over all `num_labels` classes.

    A ratio with a zero denominator (a class never predicted, or absent from the labels) is 0, as
    scikit-learn's `zero_division=0`; classes absent from both still count in the macro mean.

    Returns:
        {"precision": [..], "recall": [..], "f1": [..], "support": [..],
         "macro_precision": p, "macro_recall": r, "macro_f1": f}
    """
    matrix = confusion_matrix(predictions, labels, num_labels)
    precision: list[float] = []
    recall: list[float] = []
    f1: list[float] = []
    support: list[int] = []
    for c in range(num_labels):
        tp = matrix[c][c]
        predicted = sum(matrix[g][c] for g in range(num_labels))
        actual = sum(matrix[c])
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
        support.append(actual)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "macro_precision": _mean(precision),
        "macro_recall": _mean(recall),
        "macro_f1": _mean(f1),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def classification_metrics(predictions: Sequence[int], labels: Sequence[int], num_labels: int) -> dict[str, float]:
    """Scalar summary: accuracy, macro precision/recall/F1 (what a training curve plots)."""
    prf = precision_recall_f1(predictions, labels, num_labels)
    return {
        "accuracy": accuracy(predictions, labels),
        "macro_precision": prf["macro_precision"],
        "macro_recall": prf["macro_recall"],
        "macro_f1": prf["macro_f1"],
    }


# ------------------------------------------------------------------ SQuAD
def normalize_answer(text: str) -> str:
    """The official SQuAD normalisation: lowercase, drop punctuation, drop a/an/the, collapse whitespace."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _gold(gold_answers: Sequence[str]) -> list[str]:
    # As the v2.0 script: gold answers that normalise to nothing are dropped; none left means "no answer".
    kept = [a for a in gold_answers if normalize_answer(a)]
    return kept or [""]


def _f1_one(prediction: str, gold: str) -> float:
    pred_tokens, gold_tokens = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)  # both empty (a correct "no answer"): 1, else 0
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold_answers: Sequence[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold answer, else 0.0 ("" ↔ no answer)."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in _gold(gold_answers)))


def f1_score(prediction: str, gold_answers: Sequence[str]) -> float:
    """Best bag-of-tokens F1 between the prediction and any gold answer."""
    return max(_f1_one(prediction, g) for g in _gold(gold_answers))


def squad_metrics(predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Mean EM and F1 over the questions of `gold` (question id → gold answer texts; [] = no answer).

    A question without a prediction scores 0. With both answerable and unanswerable questions the
    result also holds `has_ans_*` and `no_ans_*` breakdowns, as the v2.0 script reports.

    Returns:
        {"exact_match", "f1", "total"} (+ "has_ans_exact_match", "has_ans_f1", "has_ans_total",
        "no_ans_exact_match", "no_ans_f1", "no_ans_total" when both kinds occur).
    """
    scores: dict[str, tuple[float, float, bool]] = {}
    for qid, answers in gold.items():
        pred = predictions.get(qid)
        answerable = bool(_gold(answers)[0])
        scores[qid] = (
            (0.0, 0.0, answerable)
            if pred is None
            else (exact_match(pred, answers), f1_score(pred, answers), answerable)
        )

    def summary(prefix: str, values: list[tuple[float, float, bool]]) -> dict[str, float]:
        n = len(values)
        return {
            f"{prefix}exact_match": sum(v[0] for v in values) / n if n else 0.0,
            f"{prefix}f1": sum(v[1] for v in values) / n if n else 0.0,
            f"{prefix}total": float(n),
        }

    out = summary("", list(scores.values()))
    has = [v for v in scores.values() if v[2]]
    if has and len(has) < len(scores):
        out.update(summary("has_ans_", has))
        out.update(summary("no_ans_", [v for v in scores.values() if not v[2]]))
    return out
