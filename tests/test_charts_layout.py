"""Layout of the chart builders and bertviz frames (issue 12, item 4): no empty axes, nothing clipped, no
titles or legends drawn over each other."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.charts import inspect as charts_inspect
from explorer.charts import training as charts
from explorer.inspect import bertviz_offline


def records(n: int) -> list[dict]:
    return [
        {
            "step": s,
            "mlm_loss": 10 - s / 10,
            "mlm_acc": s / 100,
            "nsp_loss": 0.7,
            "nsp_acc": 0.5,
            "lr": 1e-3,
            "tokens_per_s": 1000.0,
        }
        for s in range(1, n + 1)
    ]


def test_vocab_chart_without_any_unk_says_so_on_a_zero_based_axis() -> None:
    fig = charts.vocab_comparison_figure(
        {"stock": {"tokens_per_word": 1.3, "unk_rate": 0.0}, "trained": {"tokens_per_word": 1.1, "unk_rate": 0.0}}
    )
    assert tuple(fig.layout.yaxis2.range) == (0, 1)  # not plotly's empty -1..1
    notes = [a.text for a in fig.layout.annotations]
    assert charts.NO_UNK_TEXT in notes


def test_vocab_chart_with_unk_labels_its_bars() -> None:
    fig = charts.vocab_comparison_figure(
        {"stock": {"tokens_per_word": 1.3, "unk_rate": 0.002}, "trained": {"tokens_per_word": 1.1, "unk_rate": 0.0}}
    )
    assert list(fig.data[1].text) == ["2.00", "0"] and fig.layout.yaxis2.range[0] == 0
    assert charts.NO_UNK_TEXT not in [a.text for a in fig.layout.annotations]


@pytest.mark.parametrize(
    "build",
    [
        lambda r: charts.mlm_figure(r, 30522, [{"step": 0, "mlm_loss": 10.3, "mlm_acc": 0.0}]),
        lambda r: charts.nsp_figure(r),
        charts.lr_figure,
        charts.throughput_figure,
        lambda r: charts.overlay_figure({"a": r, "b": r}),
    ],
)
def test_training_chart_legends_sit_below_the_axis_titles(build) -> None:
    fig = build(records(30))
    legend, margin = fig.layout.legend, fig.layout.margin
    # In container coordinates at the figure's foot, inside a bottom margin kept free for it: the x-axis
    # title ("step") stays above that margin, whatever the width of the column.
    assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"
    assert margin.b >= charts.LEGEND_SPACE and fig.layout.height - margin.t - margin.b >= 200


@pytest.mark.parametrize("layers,heads", [(2, 2), (6, 12), (12, 12)])
def test_head_statistics_rows_leave_room_for_axis_and_subplot_titles(layers: int, heads: int) -> None:
    names = ["entropy", "cls", "sep", "prev", "next"]
    fig = charts_inspect.head_statistics_figure(
        {n: np.random.rand(layers, heads) for n in names}, {n: n for n in names}
    )
    plot_height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    row1, row2 = fig.layout.yaxis.domain, fig.layout.yaxis4.domain
    gap_px = (row1[0] - row2[1]) * plot_height  # row 1 is on top
    assert gap_px >= 80  # x ticks (~20 px) + "head" (~20 px) + the next subplot title (~25 px), with air
    assert fig.layout.margin.b >= 40  # the last row's x ticks and title
    assert fig.layout.xaxis2.domain[0] - fig.layout.xaxis.domain[1] >= 0.08  # y ticks and "layer" between columns


@pytest.mark.parametrize("layers,heads,tokens", [(6, 12, 13), (2, 2, 64), (6, 12, 64), (12, 12, 5)])
def test_model_view_frame_is_as_tall_as_bertviz_draws_it(layers: int, heads: int, tokens: int) -> None:
    box = 7 * 12 / heads  # bertviz model_view.js, at its full 970 px width
    drawn = max(layers * (tokens * box + 10) + 38, tokens * 18 + 55)
    assert drawn + 16 <= bertviz_offline.model_view_height(layers, heads, tokens) <= drawn + 60


def test_model_view_shrinks_to_the_frame_width() -> None:
    pytest.importorskip("bertviz")
    weights = np.full((2, 12, 5, 5), 0.2, dtype=np.float32)
    try:
        html = bertviz_offline.model_view_html(weights, ["[CLS]", "a", "b", "c", "[SEP]"])
    except bertviz_offline.OfflineAssetError as exc:
        pytest.skip(str(exc))
    assert bertviz_offline.FIT_WIDTH in html and html.index("requirejs(") < html.index("viewBox")
    assert bertviz_offline.FIT_WIDTH not in bertviz_offline.head_view_html(weights, ["[CLS]", "a", "b", "c", "[SEP]"])
