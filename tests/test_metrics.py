"""Metrics against hand-computed cases, including the official SQuAD normalisation and v2 no-answer rules."""

from __future__ import annotations

import pytest

from bert_core.metrics import (
    accuracy,
    classification_metrics,
    confusion_matrix,
    exact_match,
    f1_score,
    normalize_answer,
    precision_recall_f1,
    squad_metrics,
)


def test_classification_by_hand() -> None:
    preds, labels = [0, 0, 0, 1], [0, 0, 1, 1]
    assert accuracy(preds, labels) == 0.75
    assert confusion_matrix(preds, labels, 2) == [[2, 0], [1, 1]]  # rows gold, columns predicted
    prf = precision_recall_f1(preds, labels, 2)
    # class 0: P = 2/3, R = 1, F1 = 0.8; class 1: P = 1, R = 1/2, F1 = 2/3
    assert prf["precision"] == pytest.approx([2 / 3, 1.0])
    assert prf["recall"] == pytest.approx([1.0, 0.5])
    assert prf["f1"] == pytest.approx([0.8, 2 / 3])
    assert prf["support"] == [2, 2]
    summary = classification_metrics(preds, labels, 2)
    assert summary == pytest.approx(
        {"accuracy": 0.75, "macro_precision": 5 / 6, "macro_recall": 0.75, "macro_f1": (0.8 + 2 / 3) / 2}
    )


def test_zero_division_counts_as_zero_and_absent_classes_average_in() -> None:
    prf = precision_recall_f1([0, 0], [0, 1], 3)  # class 1 never predicted, class 2 absent everywhere
    assert prf["precision"] == [0.5, 0.0, 0.0] and prf["recall"] == [1.0, 0.0, 0.0]
    assert prf["macro_f1"] == pytest.approx((2 / 3) / 3)
    assert accuracy([], []) == 0.0


def test_classification_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="2 predictions but 1 labels"):
        accuracy([0, 1], [0])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        confusion_matrix([2], [0], 2)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The  Eiffel-Tower!", "eiffeltower"),
        ("An apple, a day", "apple day"),
        ("  Theatre of the Absurd ", "theatre of absurd"),  # "the" only as a whole word
        ("\tU.S.A.\n", "usa"),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_exact_match_and_f1_take_the_best_gold() -> None:
    assert exact_match("the Eiffel Tower", ["Paris", "Eiffel Tower"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel Tower"]) == 0.0
    # pred "in city of paris" vs gold "paris france": 1 common token → P 1/4, R 1/2, F1 1/3
    assert f1_score("in the city of Paris", ["Paris, France"]) == pytest.approx(1 / 3)
    # vs "city of paris": 3 common → P 3/4, R 1, F1 6/7; the max over golds wins
    assert f1_score("in the city of Paris", ["Paris, France", "city of Paris"]) == pytest.approx(6 / 7)
    assert f1_score("apple apple", ["apple"]) == pytest.approx(2 * 0.5 * 1 / 1.5)  # counts, not sets


def test_no_answer_rules_of_squad_v2() -> None:
    assert exact_match("", []) == 1.0 and f1_score("", []) == 1.0
    assert exact_match("Paris", []) == 0.0 and f1_score("Paris", []) == 0.0
    assert f1_score("", ["Paris"]) == 0.0
    assert exact_match("", ["the"]) == 1.0  # a gold answer that normalises to nothing means "no answer"


def test_squad_metrics_with_breakdown_and_missing_predictions() -> None:
    gold = {"q1": ["Karl Drais"], "q2": [], "q3": ["1817"]}
    preds = {"q1": "Drais", "q2": ""}  # q3 unanswered: scores 0
    out = squad_metrics(preds, gold)
    assert out["total"] == 3
    assert out["exact_match"] == pytest.approx(1 / 3)  # only q2
    assert out["f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)  # q1: P 1, R 1/2
    assert out["has_ans_total"] == 2 and out["has_ans_exact_match"] == 0.0
    assert out["no_ans_exact_match"] == 1.0
    assert set(squad_metrics({"q1": "Karl Drais"}, {"q1": ["Karl Drais"]})) == {"exact_match", "f1", "total"}
