"""The fine-tune page's pure builders: charts, answer HTML, before/after helpers, subsampling and QA errors."""

from __future__ import annotations

import numpy as np
import pytest

from bert_core.finetuning.compare import class_separation, cls_attention
from bert_core.inspect.attention import AttentionMaps
from explorer.charts import before_after as before_after_charts
from explorer.charts import finetune as charts

STEPS = [{"step": s, "loss": 0.7 - 0.05 * s, "cls_acc": 0.5 + 0.04 * s, "qa_acc": 0.1 * s} for s in range(1, 6)]
EVALS = [
    {"step": 0, "loss": 0.69, "accuracy": 0.4, "exact_match": 0.0, "f1": 0.02},
    {"step": 5, "loss": 0.45, "accuracy": 0.8, "exact_match": 0.3, "f1": 0.4},
]


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_curves_sentiment_have_train_dev_and_chance() -> None:
    fig = charts.finetune_curves_figure(STEPS, EVALS, "sentiment", num_labels=2)
    assert {"train loss (smoothed)", "dev loss", "train accuracy (smoothed)", "dev accuracy"} <= set(names(fig))
    dev_acc = next(t for t in fig.data if t.name == "dev accuracy")
    assert list(dev_acc.x) == [0, 5] and list(dev_acc.y) == pytest.approx([40.0, 80.0])
    assert any("50%" in a.text for a in fig.layout.annotations if a.text)


def test_curves_qa_show_exact_match_and_f1() -> None:
    fig = charts.finetune_curves_figure(STEPS, EVALS, "qa")
    assert {"dev exact match", "dev F1"} <= set(names(fig)) and "dev accuracy" not in names(fig)
    assert charts.finetune_curves_figure([], [], "qa").data  # empty records still draw (empty traces)


def test_confusion_matrix_counts_and_row_shares() -> None:
    fig = charts.confusion_figure([[8, 2], [1, 9]], ["neg", "pos"])
    heat = fig.data[0]
    assert np.allclose(heat.z, [[0.8, 0.2], [0.1, 0.9]])
    assert heat.text[0][1] == "2<br>20%" and list(heat.x) == ["neg", "pos"]
    with pytest.raises(ValueError, match="2×2"):
        charts.confusion_figure([[1, 2, 3]], ["a", "b"])


def test_class_probabilities_highlight_the_best() -> None:
    fig = charts.class_probability_figure({"neg": 0.2, "pos": 0.8})
    bar = fig.data[0]
    assert list(bar.x) == pytest.approx([20.0, 80.0]) and bar.marker.color[1] == charts.AFTER_COLOR


def test_qa_probabilities_shade_the_answer() -> None:
    fig = charts.qa_probability_figure(["tom", "bought", "apples"], [0.1, 0.2, 0.7], [0.0, 0.1, 0.9], (2, 2))
    assert names(fig) == ["start", "end"] and fig.layout.shapes[0].x0 == 1.5
    assert list(fig.layout.xaxis.ticktext) == ["tom", "bought", "apples"]
    with pytest.raises(ValueError, match="3 tokens"):
        charts.qa_probability_figure(["a", "b", "c"], [0.5], [0.5, 0.5, 0.0])


def test_answer_html_escapes_and_marks_the_span() -> None:
    context = "Say <script>alert(1)</script> & see Paris."
    start = context.index("Paris")
    out = charts.answer_html(context, start, start + 5)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert ">Paris</mark>" in out
    assert "<mark" not in charts.answer_html(context, 0, 0)
    with pytest.raises(ValueError):
        charts.answer_html("short", 2, 99)


def test_embedding_before_after_one_trace_per_class_and_panel() -> None:
    xy = np.arange(8, dtype=float).reshape(4, 2)
    fig = before_after_charts.embedding_before_after_figure(
        xy, xy[::-1], ["a", "b", "a", "b"], ["t1", "t2", "<t3>", "t4"], (0.1, 2.5)
    )
    assert len(fig.data) == 4 and [t.showlegend for t in fig.data] == [True, False, True, False]
    assert "class separation 2.50" in fig.layout.annotations[1].text
    assert "&lt;t3&gt;" in fig.data[0].hovertext
    assert len(before_after_charts.embedding_before_after_figure(xy, xy, None, ["a"] * 4).data) == 2


def test_cls_attention_figure_pairs_bars() -> None:
    fig = before_after_charts.cls_attention_figure(["[CLS]", "good", "[SEP]"], [0.5, 0.2, 0.3], [0.1, 0.8, 0.1])
    assert names(fig) == ["before", "after"] and list(fig.data[1].y) == pytest.approx([10.0, 80.0, 10.0])


def test_class_separation_grows_with_clusters() -> None:
    rng = np.random.default_rng(0)
    labels = ["a"] * 50 + ["b"] * 50
    mixed = rng.normal(size=(100, 16))
    apart = mixed * 0.1 + np.repeat(np.eye(16)[:2] * 3, 50, axis=0)
    assert class_separation(mixed, labels) < 0.5 < class_separation(apart, labels)
    with pytest.raises(ValueError, match="2 classes"):
        class_separation(mixed, ["a"] * 100)


def test_cls_attention_is_the_mean_cls_row_of_a_layer() -> None:
    weights = np.zeros((2, 2, 3, 3), np.float32)
    weights[-1, 0, 0] = [1, 0, 0]
    weights[-1, 1, 0] = [0, 0, 1]
    maps = AttentionMaps(["[CLS]", "x", "[SEP]"], weights, [0, 0, 0])
    assert cls_attention(maps).tolist() == [0.5, 0.0, 0.5]


def test_sentiment_baseline_is_the_dev_majority_class() -> None:
    """58% of dev snippets fresh: the baseline is 58% ('fresh'), not a coin's 50%."""
    fig = charts.finetune_curves_figure(
        STEPS, EVALS, "sentiment", num_labels=2, dev_class_counts={"rotten": 210, "fresh": 290}
    )
    (line,) = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert line.y0 == pytest.approx(58.0)
    texts = [a.text for a in fig.layout.annotations if a.text]
    assert "majority class ('fresh') 58%" in texts and not any("chance 50%" in t for t in texts)
    assert charts.majority_baseline({"rotten": 210, "fresh": 290}) == ("fresh", pytest.approx(0.58))


def test_sentiment_baseline_without_dev_counts_says_the_balance_is_unknown() -> None:
    fig = charts.finetune_curves_figure(STEPS, EVALS, "sentiment", num_labels=2)  # a run saved before the counts
    assert any("uniform guess 50%" in a.text for a in fig.layout.annotations if a.text)
    assert charts.majority_baseline(None) is None and charts.majority_baseline({}) is None
