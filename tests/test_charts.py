"""Plotly figure builders: traces, chance lines, smoothing."""

from __future__ import annotations

import math

import pytest

from explorer.charts import training as charts


def records(n: int = 20) -> list[dict]:
    return [
        {
            "step": i,
            "mlm_loss": 10 - i * 0.1,
            "mlm_acc": i / 100,
            "nsp_loss": 0.7,
            "nsp_acc": 0.5,
            "lr": 1e-3 * min(1, i / 5),
            "tokens_per_s": 1000.0 + i,
        }
        for i in range(1, n + 1)
    ]


def _hlines(fig) -> list[float]:
    return sorted(s.y0 for s in fig.layout.shapes if s.type == "line")


def _bands(fig) -> list[tuple[float, float]]:
    return sorted((s.y0, s.y1) for s in fig.layout.shapes if s.type == "rect")


def test_ema_is_bias_corrected_and_smooth() -> None:
    assert charts.ema([5.0, 5.0, 5.0]) == pytest.approx([5.0, 5.0, 5.0])
    noisy = [1.0, 3.0] * 20
    smooth = charts.ema(noisy)
    assert max(smooth[10:]) - min(smooth[10:]) < 1.0


def test_mlm_figure_has_ln_v_chance_line_and_data() -> None:
    fig = charts.mlm_figure(records(), vocab_size=30522)
    assert _hlines(fig) == [pytest.approx(math.log(30522))]
    names = [t.name for t in fig.data]
    assert "loss (smoothed)" in names and "accuracy (smoothed)" in names
    loss = next(t for t in fig.data if t.name == "loss (per step)")
    assert list(loss.x) == list(range(1, 21)) and loss.y[0] == pytest.approx(9.9)


def test_training_charts_show_where_a_trained_bert_ends() -> None:
    mlm = charts.mlm_figure(records(), vocab_size=8000)
    assert _bands(mlm) == [(1.3, 2.0), (60.0, 70.0)]
    labels = [a.text for a in mlm.layout.annotations]
    assert labels.count("fully trained BERT-base") == 2
    assert _bands(charts.nsp_figure(records())) == [(97.0, 98.0)]
    recipe = charts.Reference("classroom recipe, 5 min", 24.0, 24.0, "accuracy")
    fig = charts.mlm_figure(records(), 8000, references=(*charts.BERT_BASE_MLM, recipe))
    assert _hlines(fig) == [pytest.approx(math.log(8000)), pytest.approx(24.0)]


def test_nsp_figure_has_ln2_and_fifty_percent() -> None:
    fig = charts.nsp_figure(records(), evals=[{"step": 20, "nsp_loss": 0.6, "nsp_acc": 0.7}])
    assert _hlines(fig) == [pytest.approx(math.log(2)), pytest.approx(50.0)]
    assert any(t.name == "held-out loss" and list(t.x) == [20] for t in fig.data)
    assert any(t.name == "held-out acc" and list(t.y) == [pytest.approx(70.0)] for t in fig.data)


def test_single_metric_and_overlay_skip_missing_and_nan() -> None:
    rows = records(5) + [{"step": 6, "mlm_loss": float("nan")}]
    assert list(charts.lr_figure(rows).data[0].x) == [1, 2, 3, 4, 5]
    assert list(charts.throughput_figure(rows).data[0].y)[-1] == pytest.approx(1005.0)
    fig = charts.overlay_figure({"a": records(5), "b": rows, "empty": []})
    assert [t.name for t in fig.data] == ["a", "b"] and len(fig.data[1].x) == 5


def test_vocab_comparison_figure() -> None:
    fig = charts.vocab_comparison_figure(
        {"stock": {"tokens_per_word": 1.3, "unk_rate": 0.001}, "trained": {"tokens_per_word": 1.1, "unk_rate": 0.0}}
    )
    assert list(fig.data[0].x) == ["stock", "trained"] and list(fig.data[1].y) == pytest.approx([1.0, 0.0])


def test_overlay_draws_each_runs_chance_line_in_its_colour() -> None:
    """Runs with different vocabularies: a dashed ln V line per run, in the run's colour."""
    small, big = math.log(641), math.log(30522)
    fig = charts.overlay_figure(
        {"small": records(5), "big": records(5), "old": records(5)}, chance={"small": small, "big": big}
    )
    curves = {t.name: t for t in fig.data if t.line.dash != "dash"}
    lines = [t for t in fig.data if t.line.dash == "dash"]
    assert set(curves) == {"small", "big", "old"} and len(lines) == 2  # "old" has no vocab_size: no line
    for line in lines:
        run = line.legendgroup
        assert line.line.color == curves[run].line.color
        assert list(line.y) == pytest.approx([{"small": small, "big": big}[run]] * 2)
    assert curves["small"].line.color != curves["big"].line.color


def test_overlay_relative_to_chance_divides_by_ln_v_and_skips_runs_without_it() -> None:
    fig = charts.overlay_figure({"a": records(5), "old": records(5)}, chance={"a": math.log(1000)}, relative=True)
    (curve,) = [t for t in fig.data if t.line.dash != "dash"]
    assert curve.name == "a" and curve.y[0] == pytest.approx(9.9 / math.log(1000))
    assert [list(t.y) for t in fig.data if t.line.dash == "dash"] == [[1.0, 1.0]]
    assert "ln V" in fig.layout.yaxis.title.text
