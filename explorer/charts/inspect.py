"""Plotly figures for the fill-mask and attention pages: pure functions of arrays (the embeddings scatter:
`explorer.charts.embeddings`).

Token axes are numeric positions with the tokens as tick labels: a categorical axis would merge the
two "the" of a sentence into one row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ATTN_SCALE = "Blues"
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
