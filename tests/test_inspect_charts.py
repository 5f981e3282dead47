"""explorer.charts.inspect figures, explorer.inspect.bertviz_offline's rewriting, and the pages' plain helpers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from bert_core.inspect.attention import HEAD_STATISTICS, head_statistics
from bert_core.inspect.embeddings import EmbeddingSet
from explorer.charts import embeddings as charts_embeddings
from explorer.charts import inspect as charts_inspect
from explorer.inspect import bertviz_offline, views
from explorer.inspect.inspection import TextSet


def random_attention(L: int, H: int, T: int) -> np.ndarray:
    return np.random.default_rng(0).dirichlet(np.ones(T), size=(L, H, T)).astype(np.float32)  # (L, H, T, T)


def test_attention_grid_has_a_heatmap_per_layer_and_head() -> None:
    tokens = ["[CLS]", "the", "the", "[SEP]"]
    fig = charts_inspect.attention_grid_figure(random_attention(3, 2, 4), tokens)
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    clicks = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert len(heatmaps) == 3 * 2 and all(np.asarray(h.z).shape == (4, 4) for h in heatmaps)
    assert [list(c.customdata[0]) for c in clicks] == [[layer, h] for layer in range(3) for h in range(2)]
    assert fig.layout.clickmode == "event+select"


def test_enlarged_head_keeps_repeated_tokens_apart() -> None:
    tokens = ["[CLS]", "the", "cat", "the", "[SEP]"]
    fig = charts_inspect.attention_heatmap_figure(random_attention(1, 1, 5)[0, 0], tokens, "layer 0, head 0")
    (heatmap,) = fig.data
    assert np.asarray(heatmap.z).shape == (5, 5) and heatmap.text[1][3] == "the → the"
    assert list(fig.layout.xaxis.ticktext) == tokens and list(fig.layout.xaxis.tickvals) == list(range(5))


def test_head_statistics_figure_has_one_layers_by_heads_panel_per_statistic() -> None:
    attn = random_attention(4, 3, 6)
    fig = charts_inspect.head_statistics_figure(
        head_statistics(attn, ["[CLS]"] + ["w"] * 4 + ["[SEP]"]), HEAD_STATISTICS
    )
    assert len(fig.data) == len(HEAD_STATISTICS) and all(np.asarray(t.z).shape == (4, 3) for t in fig.data)
    assert [a.text for a in fig.layout.annotations] == list(HEAD_STATISTICS.values())


def test_topk_bars_best_first() -> None:
    fig = charts_inspect.topk_figure(["paris", "london", "rome"], [0.5, 0.3, 0.1], "[MASK]")
    (bar,) = fig.data
    assert list(bar.x) == pytest.approx([50, 30, 10]) and list(fig.layout.yaxis.ticktext) == ["paris", "london", "rome"]
    assert fig.layout.yaxis.autorange == "reversed"


def test_embedding_scatter_2d_uses_webgl_with_one_trace_per_category() -> None:
    coords = np.random.default_rng(0).normal(size=(50, 2))
    colours = charts_embeddings.categories(["a"] * 20 + ["b"] * 20 + [str(i) for i in range(10)], max_categories=2)
    fig = charts_embeddings.embedding_scatter_figure(coords, [f"t{i}" for i in range(50)], colours, "map", 3, [4, 5])
    points = [t for t in fig.data if t.name in ("a", "b", charts_embeddings.OTHER)]
    assert [t.name for t in points] == ["a", "b", "other"] and all(isinstance(t, go.Scattergl) for t in fig.data)
    assert sum(len(t.x) for t in points) == 50
    assert sorted(i for t in points for i in t.customdata) == list(range(50))
    picked = next(t for t in fig.data if t.name == "picked")
    assert list(picked.customdata) == [3] and len(next(t for t in fig.data if t.name == "neighbours").x) == 2
    fig3 = charts_embeddings.embedding_scatter_figure(np.zeros((5, 3)), ["x"] * 5)
    assert isinstance(fig3.data[0], go.Scatter3d) and len(fig3.data[0].z) == 5


def test_make_offline_inlines_d3_and_jquery_and_drops_the_cdn() -> None:
    html = bertviz_offline.head_view_html(random_attention(2, 2, 4), ["[CLS]", "a", "</script>", "[SEP]"])
    assert "cdnjs" not in html and "require.config(" not in html and "require.min.js" not in html
    assert "d3js.org v5" in html and "jQuery" in html and "window.requirejs" in html
    assert html.lower().count("</script>") == 4  # d3, jQuery, the shim, bertviz: a token cannot close one early
    assert '"<\\/script>"' in html
    model_html = bertviz_offline.model_view_html(random_attention(2, 2, 4), ["[CLS]", "a", "b", "[SEP]"], 2)
    assert "cdnjs" not in model_html and "requirejs(" in model_html
    with pytest.raises(ValueError):
        bertviz_offline.make_offline("<div>not bertviz</div>")


def test_masking_clicked_words() -> None:
    text = "The cat's [MASK] sat, happily."
    words = views.maskable_words(text)
    assert [w for _, _, w in words] == ["The", "cat's", "sat", ",", "happily", "."]
    assert views.mask_words(text, words, [4, 0]) == "[MASK] cat's [MASK] sat, [MASK]."
    assert views.pills_key("p", "a") != views.pills_key("p", "b")


def test_clicked_reads_the_first_point_with_customdata() -> None:
    state = {"selection": {"points": [{"x": 1}, {"customdata": [2, 3]}], "box": [], "lasso": []}}
    assert views.clicked(state) == [2, 3]
    assert views.clicked({"selection": {"points": [{"customdata": 7}]}}) == [7]
    assert views.clicked(None) is None and views.clicked({"selection": {"points": []}}) is None


def test_point_colours_and_labels() -> None:
    texts = TextSet("t", ("A good film.", "A bad movie.", "Nothing here."), ("pos", "neg", "neg"))
    sentences = EmbeddingSet(np.zeros((3, 2)), np.array([0, 1, 2]), np.array([1, 1, 1]), None)
    assert views.point_colours(sentences, texts, "label", []) == ["pos", "neg", "neg"]
    assert views.point_colours(sentences, texts, "word", ["movie", "film"]) == ["film", "movie", "other"]
    assert views.point_colours(sentences, texts, "none", []) is None
    tokens = EmbeddingSet(np.zeros((3, 2)), np.array([0, 0, 1]), np.array([0, 2, 2]), ["a", "good", "a"])
    assert views.point_colours(tokens, texts, "layer", []) == ["layer 0", "layer 2", "layer 2"]
    assert views.point_colours(tokens, texts, "word", ["good"]) == ["other", "good", "other"]
    assert views.point_texts(tokens, texts)[1] == "“good” in: A good film. [pos] · layer 2"
    capped, dropped = views.cap_points(tokens, 2)
    assert dropped and len(capped.vectors) == 2 and capped.tokens == ["a", "good"]


def test_head_statistics_share_one_colour_scale_per_family() -> None:
    """0.07 and 0.06 in two panels must not look like darkest and lightest: one scale per family."""
    tokens = ["[CLS]"] + ["w"] * 4 + ["[SEP]"]
    fig = charts_inspect.head_statistics_figure(
        head_statistics(random_attention(2, 3, 6), tokens), HEAD_STATISTICS, n_tokens=len(tokens)
    )
    axes = {label: trace.coloraxis for label, trace in zip(HEAD_STATISTICS.values(), fig.data)}
    shares = {axes[HEAD_STATISTICS[n]] for n in ("cls", "sep", "prev", "next", "self")}
    assert len(shares) == 1 and axes[HEAD_STATISTICS["entropy"]] not in shares
    share_axis = fig.layout[shares.pop()]
    assert (share_axis.cmin, share_axis.cmax) == (0, 1) and share_axis.colorbar.title.text
    entropy_axis = fig.layout[axes[HEAD_STATISTICS["entropy"]]]
    assert entropy_axis.cmin == 0 and entropy_axis.cmax == pytest.approx(np.log2(6))
    assert all("layer %{y}, head %{x}" in t.hovertemplate and "%{z:.3f}" in t.hovertemplate for t in fig.data)
    assert all(label in t.hovertemplate for label, t in zip(HEAD_STATISTICS.values(), fig.data))
