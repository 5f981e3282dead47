"""Figures of the fine-tune page's before/after view: the starting and the fine-tuned model's dev embeddings
side by side, and their [CLS] attention; pure functions of plain data."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.charts.finetune import AFTER_COLOR, BEFORE_COLOR, PALETTE
from explorer.charts.training import HEIGHT


def embedding_before_after_figure(
    before: np.ndarray,
    after: np.ndarray,
    labels: Sequence[str] | None,
    texts: Sequence[str],
    separation: tuple[float, float] | None = None,
) -> go.Figure:
    """Two scatter maps of the same inputs: under the starting model (left) and the fine-tuned one (right).

    Args:
        before, after: (N, 2) coordinates.
        labels: a class per point (colours), or None.
        texts: hover text per point.
        separation: (before, after) class-separation scores, shown in the panel titles.
    """
    titles = ["before fine-tuning", "after fine-tuning"]
    if separation is not None:
        titles = [f"{t} (class separation {s:.2f})" for t, s in zip(titles, separation)]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.06)
    hover = [html.escape(t[:120]) for t in texts]
    groups = sorted(set(labels)) if labels else [None]
    for g, group in enumerate(groups):
        rows = [i for i in range(len(texts)) if labels is None or labels[i] == group]
        for col, xy in ((1, before), (2, after)):
            fig.add_trace(
                go.Scattergl(
                    x=xy[rows, 0],
                    y=xy[rows, 1],
                    mode="markers",
                    name=str(group or "texts"),
                    legendgroup=str(group),
                    showlegend=col == 1,
                    marker={"color": PALETTE[g % len(PALETTE)], "size": 6, "opacity": 0.75},
                    hovertext=[hover[i] for i in rows],
                    hoverinfo="text",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(
        height=420,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.05},
        title={"text": "", "x": 0.01},
    )
    return fig


def cls_attention_figure(tokens: Sequence[str], before: Sequence[float], after: Sequence[float]) -> go.Figure:
    """Where [CLS] looks in the last layer (mean over heads), before and after fine-tuning."""
    if not len(tokens) == len(before) == len(after):
        raise ValueError(f"{len(tokens)} tokens but {len(before)} and {len(after)} attention values")
    x = [f"{i}:{t}" for i, t in enumerate(tokens)]
    fig = go.Figure(
        [
            go.Bar(x=x, y=[100 * v for v in before], name="before", marker_color=BEFORE_COLOR),
            go.Bar(x=x, y=[100 * v for v in after], name="after", marker_color=AFTER_COLOR),
        ]
    )
    fig.update_xaxes(tickangle=-60, type="category")
    fig.update_yaxes(title_text="attention %", rangemode="tozero")
    fig.update_layout(
        barmode="group",
        height=HEIGHT + 40,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        title={"text": "[CLS] attention in the last layer (mean over heads)", "x": 0.01},
        legend={"orientation": "h", "y": 1.12, "x": 0.7},
    )
    return fig
