"""The time-lapse's charts: a head's statistics over training, and the word map at one step.

Pure functions of arrays (the frames are read by `bert_core.pretraining.timelapse`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.charts.embeddings import PALETTE

GROUP_COLORS = {"function word": "#c7c7c7", "frequent word": "#9ecae1"}  # the named groups take PALETTE's colours
LABELLED = {"function word", "frequent word"}  # groups drawn without a text label (too many)


def stat_over_time_figure(
    steps: Sequence[int], stats: Mapping[str, np.ndarray], labels: Mapping[str, str], layer: int, head: int, step: int
) -> go.Figure:
    """One head's statistics at every recorded step: the attention shares (0–1) on the left axis, the entropy
    (bits) on the right, and a line at the step shown on the slider.

    Args:
        stats: `Timelapse.head_statistics()`: name → (S, L, H).
        labels: name → label, in display order (`HEAD_STATISTICS`).
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for name, label in labels.items():
        if name not in stats:
            continue
        values = np.asarray(stats[name])[:, layer, head]
        entropy = name == "entropy"
        fig.add_trace(
            go.Scatter(
                x=list(steps),
                y=values.round(3),
                name=label,
                mode="lines+markers",
                line={"dash": "dot" if entropy else "solid", "color": "#444" if entropy else None},
                hovertemplate=f"step %{{x}}<br>{label}: %{{y:.3f}}<extra></extra>",
            ),
            secondary_y=entropy,
        )
    fig.add_vline(x=step, line={"color": "#d62728", "width": 1})
    fig.update_yaxes(title_text="share of attention", range=[0, 1], secondary_y=False)
    fig.update_yaxes(title_text="entropy (bits)", rangemode="tozero", secondary_y=True, showgrid=False)
    fig.update_xaxes(title_text="training step")
    fig.update_layout(
        title={"text": f"Layer {layer}, head {head} through training", "x": 0, "xanchor": "left"},
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
    )
    return fig


def word_map_figure(
    coords: np.ndarray, words: Sequence[str], groups: Sequence[str], ranges: tuple[np.ndarray, np.ndarray], title: str
) -> go.Figure:
    """The followed words on a 2-D map, one colour per group, the named groups labelled.

    Args:
        coords: (W, 2), from `bert_core.inspect.projection.aligned_maps` (one frame).
        ranges: (low (2,), high (2,)) over every frame, so the axes stay put while the slider moves.
    """
    coords = np.asarray(coords)
    fig = go.Figure()
    named = [g for g in dict.fromkeys(groups) if g not in GROUP_COLORS]
    order = [g for g in ("function word", "frequent word") if g in groups] + named
    for group in order:
        idx = [i for i, g in enumerate(groups) if g == group]
        color = GROUP_COLORS.get(group) or PALETTE[named.index(group) % len(PALETTE)]
        labelled = group not in LABELLED
        fig.add_trace(
            go.Scatter(
                x=coords[idx, 0],
                y=coords[idx, 1],
                mode="markers+text" if labelled else "markers",
                text=[words[i] for i in idx],
                textposition="top center",
                textfont={"size": 11, "color": color},
                marker={"size": 9 if labelled else 6, "color": color, "opacity": 0.9 if labelled else 0.6},
                name=group,
                hovertemplate="%{text}<extra>" + group + "</extra>",
            )
        )
    low, high = ranges
    pad = (high - low) * 0.08 + 1e-6
    fig.update_xaxes(range=[low[0] - pad[0], high[0] + pad[0]], showticklabels=False, zeroline=False)
    fig.update_yaxes(range=[low[1] - pad[1], high[1] + pad[1]], showticklabels=False, zeroline=False)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=520,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
    )
    return fig
