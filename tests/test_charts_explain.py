"""Figures of the "why did it say that" views: escaped text, colours by sign, lens and probe charts."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bert_core.inspect.attributions import Word
from bert_core.inspect.lens import LensTable
from bert_core.inspect.probes import ProbeResult
from explorer.charts import explain as charts_explain


def test_attribution_text_is_escaped_and_coloured_by_sign() -> None:
    words = [Word("<script>alert(1)</script>", 0.5, 0, 25, 0), Word("dull", -1.0, 26, 30, 0), Word("x", 0.0, 31, 32, 0)]
    out = charts_explain.attribution_html(words, "fresh <b>")
    assert "<script>" not in out and "&lt;script&gt;" in out and "fresh &lt;b&gt;" in out
    assert "rgba(31,119,180,0.850)" in out  # the strongest word (blue: pushed away) at full colour
    assert "rgba(214,39,40,0.425)" in out  # half as strong, red
    assert "rgba(214,39,40,0.000)" in out  # a zero score has no colour
    assert "pushed the model toward" in out
    assert "attention" in charts_explain.attribution_html(words, "fresh", signed=False)


def test_lens_figure_has_a_row_per_layer_and_escaped_pieces() -> None:
    table = LensTable(
        3,
        ["[CLS]", "a", "[MASK]"],
        [0, 1, 2],
        [["<b>", "x"], ["y", "z"], ["w", "v"]],
        [[0.5, 0.2], [0.3, 0.1], [0.9, 0.05]],
    )
    fig = charts_explain.lens_figure(table, "blank 1")
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap) and list(heat.y) == ["embeddings", "layer 1", "layer 2"]
    assert np.asarray(heat.z).shape == (3, 2) and heat.text[0][0] == "&lt;b&gt;"


def test_probe_figure_draws_model_control_and_baseline_per_task() -> None:
    r = ProbeResult("sentiment", [0, 1, 2], [0.6, 0.7, 0.8], [0.55, 0.56, 0.55], 0.58, 300, 100)
    fig = charts_explain.probe_figure([r, ProbeResult("source", [0, 1, 2], [0.7] * 3, [0.6] * 3, 0.5, 300, 100)])
    names = [t.name for t in fig.data]
    assert len(fig.data) == 6 and "sentiment: random weights (control)" in names
    assert list(fig.data[0].y) == [60.0, 70.0, 80.0] and list(fig.data[0].x) == ["emb", "1", "2"]
