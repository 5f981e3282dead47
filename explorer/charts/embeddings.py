"""The Embeddings page's scatter: points coloured by category (label, word, layer), a picked point and its
neighbours marked; a pure function of arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

PALETTE = qualitative.D3 + qualitative.Set2
OTHER, OTHER_COLOR = "other", "#c7c7c7"
MAX_CATEGORIES = 12  # more colours than this cannot be told apart: the rest become "other"


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
