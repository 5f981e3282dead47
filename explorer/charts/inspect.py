"""Plotly figures for the inspection pages (fill-mask, attention, embeddings): pure functions of arrays.

Token axes are numeric positions with the tokens as tick labels: a categorical axis would merge the
two "the" of a sentence into one row.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

ATTN_SCALE = "Blues"
PALETTE = qualitative.D3 + qualitative.Set2
OTHER, OTHER_COLOR = "other", "#c7c7c7"
MAX_CATEGORIES = 12  # more colours than this cannot be told apart: the rest become "other"
GRID_WIDTH_PX = 900  # the layer × head grid's width; each small heatmap is square, 70 to 200 px


def topk_figure(tokens: Sequence[str], probs: Sequence[float], title: str = "") -> go.Figure:
    """Horizontal probability bars of top-k guesses, best on top."""
    percent = [100 * p for p in probs]
    fig = go.Figure(
        go.Bar(
            x=percent,
            y=list(range(len(tokens))),
            orientation="h",
            marker_color="#4c78a8",
            text=[f"{p:.1f}%" for p in percent],
            textposition="auto",
            customdata=list(tokens),
            hovertemplate="%{customdata}: %{x:.2f}%<extra></extra>",
        )
    )
    fig.update_yaxes(tickvals=list(range(len(tokens))), ticktext=list(tokens), autorange="reversed")
    fig.update_xaxes(range=[0, max(max(percent, default=0.0) * 1.15, 1.0)], title_text="probability %")
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=60 + 26 * max(len(tokens), 1),
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 40},
        showlegend=False,
    )
    return fig


def _token_axes(
    fig: go.Figure, tokens: Sequence[str], row: int | None = None, col: int | None = None, show: bool = True
) -> None:
    ticks = {"tickvals": list(range(len(tokens))), "ticktext": list(tokens)} if show else {"showticklabels": False}
    fig.update_xaxes(**ticks, row=row, col=col, tickangle=-60 if show else None, showgrid=False, zeroline=False)
    fig.update_yaxes(**ticks, row=row, col=col, autorange="reversed", showgrid=False, zeroline=False)


def attention_heatmap_figure(weights: np.ndarray, tokens: Sequence[str], title: str = "") -> go.Figure:
    """One head's (T, T) attention: row = the token attending (query), column = the token attended to."""
    weights = np.asarray(weights)
    labels = np.array(tokens, dtype=object)
    hover = [[f"{labels[i]} → {labels[j]}" for j in range(len(tokens))] for i in range(len(tokens))]
    # The scale runs to this head's largest weight: a head spread over 40 tokens (all weights ~0.025)
    # would be blank on a 0-1 scale; the colour bar and the hover give the true values.
    fig = go.Figure(
        go.Heatmap(
            z=weights.round(4),
            colorscale=ATTN_SCALE,
            zmin=0,
            text=hover,
            hovertemplate="%{text}: %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 12},
        )
    )
    _token_axes(fig, tokens)
    side = min(820, 220 + 16 * len(tokens))
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=side,
        width=side + 90,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="attended to (key)",
        yaxis_title="attending (query)",
    )
    return fig


def attention_grid_figure(weights: np.ndarray, tokens: Sequence[str]) -> go.Figure:
    """Every head as a small heatmap: rows are layers, columns heads.

    Each cell also holds one transparent, clickable marker whose `customdata` is `[layer, head]`, so a
    click selects the head (heatmaps themselves cannot be selected in Streamlit).
    """
    weights = np.asarray(weights)
    L, H, T, _ = weights.shape
    fig = make_subplots(
        rows=L,
        cols=H,
        horizontal_spacing=0.012,
        vertical_spacing=0.02 if L > 1 else 0.0,
        column_titles=[f"head {h}" for h in range(H)],
        row_titles=[f"layer {layer}" for layer in range(L)],
    )
    zmax = float(weights.max()) if weights.size else 1.0
    cell = max(70, min(200, GRID_WIDTH_PX // H))
    middle = (T - 1) / 2
    for layer in range(L):
        for h in range(H):
            fig.add_trace(
                go.Heatmap(z=weights[layer, h].round(3), coloraxis="coloraxis", hoverinfo="skip"),
                row=layer + 1,
                col=h + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=[middle],
                    y=[middle],
                    customdata=[[layer, h]],
                    mode="markers",
                    marker={"size": 40, "color": "rgba(0,0,0,0)", "symbol": "square"},
                    hovertemplate=f"layer {layer}, head {h}<br>click to enlarge<extra></extra>",
                    showlegend=False,
                ),
                row=layer + 1,
                col=h + 1,
            )
    axes = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    fig.update_xaxes(**axes, range=[-0.5, T - 0.5])
    fig.update_yaxes(**axes, range=[T - 0.5, -0.5])
    fig.update_annotations(font_size=10)
    fig.update_layout(
        coloraxis={"colorscale": ATTN_SCALE, "cmin": 0, "cmax": max(zmax, 1e-6), "showscale": False},
        height=50 + cell * L,
        width=70 + cell * H,
        margin={"l": 10, "r": 40, "t": 40, "b": 10},
        clickmode="event+select",
        dragmode=False,
        hovermode="closest",
    )
    return fig


ROW_GAP_PX = 90  # head statistics: space between rows of heatmaps
STATS_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 50}
# Statistics whose values are shares of one query's attention (0..1) share one colour scale; entropy (bits) has its own.
ENTROPY_STATS = ("entropy",)
STAT_FAMILIES = {  # coloraxis → (title of its colour bar, colour scale)
    "coloraxis": ("entropy (bits)", "Viridis"),
    "coloraxis2": ("share of attention (0–1)", "Blues"),
}


def head_statistics_figure(
    stats: Mapping[str, np.ndarray], labels: Mapping[str, str], n_tokens: int | None = None
) -> go.Figure:
    """One (layers × heads) heatmap per statistic, values written in the cells.

    Panels of one family share one colour scale, so equal colours mean equal values across panels:
    entropy runs from 0 to log2 `n_tokens` bits (uniform attention; the largest value shown when
    `n_tokens` is None), the attention shares (to [CLS], [SEP], previous, next, itself) from 0 to 1.
    Hovering a cell gives its layer, head, statistic and value.
    """
    names = [n for n in labels if n in stats]
    cols = 3
    rows = -(-len(names) // cols)
    # Gaps in pixels, turned into plotly's fractions: between rows the x ticks, the "head" title and the
    # next row's subplot title must fit; between columns the y ticks and the "layer" title.
    plot_height = max(160, 28 * len(next(iter(stats.values())))) if stats else 160
    total = rows * plot_height + (rows - 1) * ROW_GAP_PX + STATS_MARGIN["t"] + STATS_MARGIN["b"]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[labels[n] for n in names],
        horizontal_spacing=0.09,
        vertical_spacing=ROW_GAP_PX / (total - STATS_MARGIN["t"] - STATS_MARGIN["b"]) if rows > 1 else 0,
    )
    for i, name in enumerate(names):
        values = np.asarray(stats[name])
        L, H = values.shape
        fig.add_trace(
            go.Heatmap(
                z=values.round(3),
                x=list(range(H)),
                y=list(range(L)),
                coloraxis="coloraxis" if name in ENTROPY_STATS else "coloraxis2",
                texttemplate="%{z:.2f}" if L * H <= 144 else None,
                textfont={"size": 9},
                hovertemplate=f"layer %{{y}}, head %{{x}}<br>{labels[name]}: %{{z:.3f}}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    entropy = [np.asarray(stats[n]) for n in names if n in ENTROPY_STATS]
    top = (
        math.log2(n_tokens)
        if n_tokens and n_tokens > 1
        else max((float(v.max()) for v in entropy if v.size), default=1.0)
    )
    bars = {"coloraxis": (0.0, max(top, 1e-6), 1.0), "coloraxis2": (0.0, 1.0, 0.45)}
    for axis, (cmin, cmax, y) in bars.items():
        title, scale = STAT_FAMILIES[axis]
        fig.update_layout(
            {
                axis: {
                    "colorscale": scale,
                    "cmin": cmin,
                    "cmax": cmax,
                    "colorbar": {
                        "title": {"text": title, "side": "right"},
                        "thickness": 12,
                        "len": 0.42,
                        "y": y,
                        "yanchor": "top",
                        "x": 1.02,
                    },
                }
            }
        )
    fig.update_xaxes(title_text="head", dtick=1, title_standoff=2)
    fig.update_yaxes(title_text="layer", dtick=1, autorange="reversed", title_standoff=2)
    fig.update_layout(height=total, margin=STATS_MARGIN)
    return fig


def categories(values: Sequence, max_categories: int = MAX_CATEGORIES) -> list[str]:
    """`values` as strings, keeping the most frequent `max_categories`; the rest become "other"."""
    values = [str(v) for v in values]
    keep = {v for v, _ in Counter(values).most_common(max_categories)}
    return [v if v in keep else OTHER for v in values]


def embedding_scatter_figure(
    coords: np.ndarray,
    hover: Sequence[str],
    colors: Sequence[str] | None = None,
    title: str = "",
    selected: int | None = None,
    neighbours: Sequence[int] = (),
) -> go.Figure:
    """2-D (WebGL) or 3-D scatter of projected embeddings, one trace per colour category.

    Args:
        coords: (N, 2) or (N, 3).
        hover: the text of each point.
        colors: a category per point (see `categories`), or None for one colour.
        selected: a point to mark (a star), with its `neighbours` (rings).

    Every marker's `customdata` is its row index in `coords`.
    """
    coords = np.asarray(coords)
    n, dims = coords.shape
    colors = list(colors) if colors is not None else [""] * n
    order = [c for c, _ in Counter(colors).most_common() if c != OTHER] + ([OTHER] if OTHER in colors else [])
    size = 5 if n > 2000 else 7
    fig = go.Figure()
    for k, category in enumerate(order):
        idx = np.array([i for i, c in enumerate(colors) if c == category], dtype=int)
        color = OTHER_COLOR if category == OTHER else PALETTE[k % len(PALETTE)]
        common = {
            "name": category or "texts",
            "mode": "markers",
            "customdata": idx,
            "text": [hover[i] for i in idx],
            "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
            "showlegend": bool(category),
        }
        if dims == 3:
            fig.add_trace(
                go.Scatter3d(
                    x=coords[idx, 0],
                    y=coords[idx, 1],
                    z=coords[idx, 2],
                    marker={"size": size / 2 + 1, "color": color, "opacity": 0.8},
                    **common,
                )
            )
        else:
            fig.add_trace(
                go.Scattergl(
                    x=coords[idx, 0], y=coords[idx, 1], marker={"size": size, "color": color, "opacity": 0.75}, **common
                )
            )
    if selected is not None:
        marks = [
            ("neighbours", list(neighbours), "circle-open", "#d62728", 12),
            ("picked", [selected], "diamond", "#d62728", 14),
        ]
        for name, idx, symbol, color, msize in marks:
            if not idx:
                continue
            idx = np.array(idx, dtype=int)
            common = {
                "name": name,
                "mode": "markers",
                "customdata": idx,
                "text": [hover[i] for i in idx],
                "hovertemplate": "%{text}<extra>" + name + "</extra>",
            }
            if dims == 3:
                fig.add_trace(
                    go.Scatter3d(
                        x=coords[idx, 0],
                        y=coords[idx, 1],
                        z=coords[idx, 2],
                        marker={
                            "size": msize / 2,
                            "color": color,
                            "symbol": "diamond" if name == "picked" else "circle-open",
                        },
                        **common,
                    )
                )
            else:
                fig.add_trace(
                    go.Scattergl(
                        x=coords[idx, 0],
                        y=coords[idx, 1],
                        marker={"size": msize, "color": color, "symbol": symbol, "line": {"width": 2, "color": color}},
                        **common,
                    )
                )
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=620,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"itemsizing": "constant"},
        uirevision=title,
    )
    if dims == 2:
        fig.update_xaxes(showticklabels=False, title_text="")
        fig.update_yaxes(showticklabels=False, title_text="", scaleanchor="x")
    return fig
