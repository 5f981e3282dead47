"""AppTest of the fill-mask, attention and embeddings pages on a tiny saved run (two checkpoints) and MiniLM."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import RUN, figures, ok, open_page, running_app
from streamlit.testing.v1 import AppTest

from explorer import state

PASTED = "\n".join(
    f"{'pos' if i % 2 else 'neg'}\tsentence number {i} about the {'market' if i % 3 else 'police'}" for i in range(24)
)


@pytest.fixture
def app(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(monkeypatch, runs_root, tmp_path / "uploads") as at:
        yield at


def arr(value) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"} (how numpy arrays travel)."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value, dtype=object)


def n_points(traces: list[dict], names=None) -> int:
    return sum(len(arr(t["x"])) for t in traces if names is None or t["name"] in names)


def _bars_and_lens(at: AppTest) -> tuple[list[dict], list[dict]]:
    charts = figures(ok(at))
    return [c for c in charts if c["data"][0]["type"] == "bar"], [
        c for c in charts if c["data"][0]["type"] == "heatmap"
    ]


def test_fill_mask_clicks_words_and_compares_checkpoints(app: AppTest) -> None:
    at = open_page(app, "fill_mask", FILL_TEXT="the police said the [MASK] was closed .")
    [bars], [lens] = _bars_and_lens(at)
    assert len(bars["data"][0]["x"]) == 5 and bars["data"][0]["type"] == "bar"
    assert list(lens["data"][0]["y"]) == ["embeddings", "layer 1", "layer 2"]  # the tiny run's 2 layers
    assert lens["data"][0]["text"][-1] == bars["data"][0]["customdata"]  # the lens's last row is the answer
    pills = at.get("button_group")[0]
    assert pills.options[0] == "the"
    pills.set_value([1]).run()  # hide "police" too
    bars, lens = _bars_and_lens(at)
    assert len(bars) == 2 and len(lens) == 2 and "**`[MASK]`** said" in at.markdown[0].value
    at.slider(key=state.FILL_TOP_K).set_value(3).run()
    compare = at.selectbox(key=state.FILL_COMPARE)
    assert f"{RUN}@checkpoint-1" in compare.options or any("step 1" in o for o in compare.options)
    compare.select(f"{RUN}@checkpoint-1").run()
    charts, lens = _bars_and_lens(at)
    assert len(charts) == 4 and all(len(c["data"][0]["x"]) == 3 for c in charts)
    assert len(lens) == 2 and all(len(c["data"][0]["x"]) == 3 for c in lens)  # the active model only
    assert any("step 1" in m.value for m in at.markdown)


def test_fill_mask_says_minilm_has_no_mlm_head(app: AppTest) -> None:
    at = open_page(app, "fill_mask", model="minilm")
    assert any("no trained masked-word" in w.value for w in at.warning)
    assert at.get("page_link") and not at.get("plotly_chart")
    at.selectbox(key=state.FILL_COMPARE).select(RUN).run()
    assert len(ok(at).get("plotly_chart")) == 1  # the run guesses; MiniLM still only explains


def test_attention_grid_enlarged_head_statistics_and_bertviz(app: AppTest) -> None:
    at = open_page(app, "attention", ATTN_TEXT="the police said", ATTN_PAIR="it was closed")
    grid, enlarged, stats, rolled = figures(at)
    heatmaps = [arr(t["z"]) for t in grid["data"] if t["type"] == "heatmap"]
    n_tokens = len(enlarged["layout"]["xaxis"]["ticktext"])
    assert len(heatmaps) == 2 * 2 and all(z.shape == (n_tokens, n_tokens) for z in heatmaps)
    assert arr(enlarged["data"][0]["z"]).shape == (n_tokens, n_tokens)
    assert enlarged["layout"]["xaxis"]["ticktext"][0] == "[CLS]"
    assert enlarged["layout"]["xaxis"]["ticktext"].count("[SEP]") == 2
    assert len(stats["data"]) == 6 and all(arr(t["z"]).shape == (2, 2) for t in stats["data"])
    rows = arr(rolled["data"][0]["z"]).astype(float)
    assert rows.shape == (n_tokens, n_tokens) and np.allclose(rows.sum(1), 1.0, atol=2e-3)  # rounded to 3 places
    frames = at.get("iframe")
    assert len(frames) == 2 and all("cdnjs" not in f.proto.srcdoc and "requirejs(" in f.proto.srcdoc for f in frames)
    at.selectbox(key=state.ATTN_LAYER).select(1).run()
    at.selectbox(key=state.ATTN_HEAD).select(1).run()
    assert figures(ok(at))[1]["layout"]["title"]["text"] == "layer 1, head 1"


def test_attention_between_whole_words(app: AppTest) -> None:
    at = open_page(app, "attention", ATTN_TEXT="unbelievably wonderful", ATTN_PAIR="")
    pieces = figures(at)[1]["layout"]["xaxis"]["ticktext"]
    at.toggle(key=state.ATTN_WORDS).set_value(True).run()
    grid, enlarged, stats, rolled = figures(ok(at))
    words = enlarged["layout"]["xaxis"]["ticktext"]
    assert len(words) < len(pieces) and "unbelievably" in words and not any(w.startswith("##") for w in words)
    assert any("pieces)" in c.value for c in at.caption)
    for trace in [t for t in grid["data"] if t["type"] == "heatmap"]:
        z = arr(trace["z"]).astype(float)
        assert z.shape == (len(words), len(words)) and np.allclose(z.sum(1), 1.0, atol=5e-3)


def test_attention_on_minilm_has_6_by_12_heads(app: AppTest) -> None:
    at = open_page(app, "attention", model="minilm", ATTN_TEXT="a short one")
    grid = figures(at)[0]
    assert sum(t["type"] == "heatmap" for t in grid["data"]) == 6 * 12


def test_embeddings_pca_points_by_2_neighbours_tokens_and_3d(app: AppTest) -> None:
    at = open_page(
        app, "embeddings", EMB_SOURCE="paste", EMB_PASTE=PASTED, EMB_METHOD="pca", EMB_POOLING="mean", EMB_COLOR="label"
    )
    [scatter] = figures(at)
    points = [t for t in scatter["data"] if t["name"] in ("pos", "neg")]
    assert n_points(points) == 24 and all(t["type"] == "scattergl" and "z" not in t for t in points)
    neighbours = at.dataframe[0].value
    assert len(neighbours) == 10 and neighbours["cosine"].is_monotonic_decreasing
    at.selectbox(key=state.EMB_POINT).select(5).run()
    assert "number 5 " in next(t for t in figures(ok(at))[0]["data"] if t["name"] == "picked")["text"][0]
    at.radio(key=state.EMB_POOLING).set_value("tokens").run()
    at.radio(key=state.EMB_COLOR).set_value("word").run()
    tokens = n_points([t for t in figures(ok(at))[0]["data"] if t["name"] not in ("picked", "neighbours")])
    assert tokens > 24 * 3 and "token" in at.dataframe[0].value.columns
    at.toggle(key=state.EMB_ALL_LAYERS).set_value(True).run()
    at.radio(key=state.EMB_DIMS).set_value(3).run()
    at.radio(key=state.EMB_COLOR).set_value("layer").run()
    data = figures(ok(at))[0]["data"]
    assert {t["name"] for t in data} >= {"layer 0", "layer 1", "layer 2"} and data[0]["type"] == "scatter3d"
    assert n_points([t for t in data if t["name"].startswith("layer")]) == 3 * tokens


@pytest.mark.slow
def test_embeddings_umap_on_builtin_reviews(app: AppTest) -> None:
    at = open_page(app, "embeddings", EMB_SOURCE="builtin:rotten_tomatoes", EMB_COUNT=200, EMB_METHOD="umap")
    [scatter] = figures(at)
    assert {t["name"] for t in scatter["data"]} >= {"fresh", "rotten"}
    assert n_points(scatter["data"], ("fresh", "rotten")) == 200
    assert not at.get("progress")  # the progress bar is gone once the embeddings are in
