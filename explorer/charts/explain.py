"""Figures for "why did it say that": attribution-coloured text, the layer-by-layer lens, probe curves.

Pure functions of `bert_core.inspect` results. User text reaches the browser HTML-escaped (the
attribution text) or as plotly text with `<`/`>` escaped, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from bert_core.inspect.attributions import Word
from bert_core.inspect.lens import LensTable
from bert_core.inspect.probes import ProbeResult

POSITIVE, NEGATIVE = (214, 39, 40), (31, 119, 180)  # red pushes toward the explained label, blue away
METHOD_NAMES = {
    "integrated_gradients": "Integrated gradients",
    "grad_x_input": "Gradient × input",
    "rollout": "Attention rollout",
}


def _background(score: float, scale: float) -> str:
    strength = min(abs(score) / scale, 1.0) if scale > 0 else 0.0
    r, g, b = POSITIVE if score >= 0 else NEGATIVE
    return f"rgba({r},{g},{b},{0.85 * strength:.3f})"


def attribution_html(words: Sequence[Word], label: str, *, signed: bool = True) -> str:
    """The words on coloured backgrounds, strongest at full colour, with a one-line legend.

    Args:
        words: whole words with their scores (`Attribution.words()`), in reading order.
        label: what the scores explain ("fresh", "start of the answer", …), for the legend.
        signed: False for rollout (every score ≥ 0: how much attention flows from the word).
    """
    scale = max((abs(w.score) for w in words), default=0.0)
    spans = []
    for w in words:
        tip = html.escape(f"{w.text}: {w.score:+.4f}", quote=True)
        spans.append(
            f'<span title="{tip}" style="background:{_background(w.score, scale)};padding:1px 3px;'
            f'border-radius:3px;margin:1px;display:inline-block">{html.escape(w.text)}</span>'
        )
    name = html.escape(label)
    legend = (
        f'<span style="background:rgba({",".join(map(str, POSITIVE))},0.6);padding:0 4px">red</span> pushed the '
        f'model toward <b>{name}</b>, <span style="background:rgba({",".join(map(str, NEGATIVE))},0.6);'
        f'padding:0 4px">blue</span> pushed it away; paler is weaker.'
        if signed
        else f'<span style="background:rgba({",".join(map(str, POSITIVE))},0.6);padding:0 4px">darker</span> '
        f"words are where the attention behind <b>{name}</b> came from."
    )
    return (
        f'<div style="line-height:2;font-size:1.05rem">{" ".join(spans)}</div>'
        f'<div style="font-size:0.85rem;color:#555;margin-top:4px">{legend}</div>'
    )


def _plot_text(text: str) -> str:
    """Plotly renders a subset of HTML in text: show `<`, `>` and `&` as themselves."""
    return html.escape(text, quote=False)


def lens_figure(table: LensTable, title: str = "") -> go.Figure:
    """Layers (rows, embeddings on top) × guesses (columns), each cell the piece, coloured by probability."""
    probs = np.asarray(table.probabilities) * 100  # (L + 1, k)
    text = [[_plot_text(p) for p in row] for row in table.pieces]
    labels = ["embeddings" if layer == 0 else f"layer {layer}" for layer in table.layers]
    fig = go.Figure(
        go.Heatmap(
            z=probs,
            x=[f"guess {j + 1}" for j in range(probs.shape[1])],
            y=labels,
            text=text,
            texttemplate="%{text}",
            customdata=np.asarray(text, dtype=object),
            hovertemplate="%{y}, %{x}: %{customdata} (%{z:.1f}%)<extra></extra>",
            colorscale="Blues",
            zmin=0,
            zmax=max(float(probs.max(initial=0.0)), 1.0),
            colorbar={"title": {"text": "%"}},
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={"text": _plot_text(title), "font": {"size": 14}},
        height=80 + 34 * len(labels),
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 30},
    )
    return fig


def probe_figure(results: Sequence[ProbeResult]) -> go.Figure:
    """Held-out accuracy per layer: one solid line per task, its random-weights control dashed and its
    majority-class baseline dotted, in the same colour."""
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    fig = go.Figure()
    for i, r in enumerate(results):
        colour = colours[i % len(colours)]
        x = ["emb" if layer == 0 else str(layer) for layer in r.layers]
        fig.add_scatter(x=x, y=[100 * a for a in r.accuracy], name=f"{r.task}: this model", line={"color": colour})
        fig.add_scatter(
            x=x,
            y=[100 * a for a in r.control],
            name=f"{r.task}: random weights (control)",
            line={"color": colour, "dash": "dash"},
        )
        fig.add_scatter(
            x=x,
            y=[100 * r.majority] * len(x),
            name=f"{r.task}: majority class",
            mode="lines",
            line={"color": colour, "dash": "dot", "width": 1},
        )
    fig.update_xaxes(title_text="layer (emb = the embeddings)", type="category")
    fig.update_yaxes(title_text="held-out accuracy %")
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.25})
    return fig
