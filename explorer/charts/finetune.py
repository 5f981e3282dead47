"""Figure (and HTML) builders of the fine-tune page: pure functions of plain data, unit-testable (the
before/after view's: `explorer.charts.before_after`).

Training curves reuse `charts`' conventions: raw per-step values faint, a moving average on top,
held-out (dev) values as markers joined by a line, chance as a dashed line.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bert_core.finetuning.registry import get_task
from explorer.charts.training import (
    ACC_COLOR,
    HEIGHT,
    LOSS_COLOR,
    Records,
    _chance,
    _layout,
    _mode,
    _series,
    ema,
)

DEV_COLOR, BEFORE_COLOR, AFTER_COLOR = "#d62728", "#9e9e9e", "#1f77b4"
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
HIGHLIGHT = "#ffe066"


def majority_baseline(class_counts: Mapping[str, int] | None) -> tuple[str, float] | None:
    """(the most frequent class, its share of the examples): the accuracy of always answering it.

    None without counts (runs saved before the dev class counts were recorded).
    """
    total = sum((class_counts or {}).values())
    if not class_counts or total <= 0:
        return None
    label = max(class_counts, key=lambda name: class_counts[name])
    return label, class_counts[label] / total


def baseline_label(class_counts: Mapping[str, int] | None, num_labels: int | None) -> tuple[float, str] | None:
    """(accuracy in %, its label) of the dev accuracy's baseline: the majority class when the dev
    counts are known, else a uniform guess over `num_labels` classes (None when neither is known)."""
    majority = majority_baseline(class_counts)
    if majority is not None:
        label, share = majority
        return 100 * share, f"majority class ('{label}') {100 * share:.0f}%"
    if num_labels:
        return 100 / num_labels, f"uniform guess {100 / num_labels:.0f}% (class balance unknown)"
    return None


def finetune_curves_figure(
    records: Records,
    evals: Records,
    task: str,
    num_labels: int | None = None,
    dev_class_counts: Mapping[str, int] | None = None,
) -> go.Figure:
    """Training and dev loss (left) and accuracy or EM/F1 in % (right) per step.

    Args:
        records: per-step dicts with `step`, `loss` and `cls_acc` (sentiment) or `qa_acc` (QA: start and
            end both right).
        evals: dev dicts with `step`, `loss` and `accuracy` (sentiment) or `exact_match`/`f1` (QA),
            fractions; step 0 is the untrained model.
        task: "sentiment" or "qa".
        num_labels: the number of classes (sentiment).
        dev_class_counts: dev examples per class (sentiment): the dashed baseline is the accuracy of
            always answering the majority class, which is what a model that learned nothing but the
            class balance scores; without counts, 1/num_labels.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("loss", "accuracy %" if not get_task(task).is_qa else "dev exact match / F1 %"),
        horizontal_spacing=0.12,
    )
    steps, loss = _series(records, "loss")
    _, acc = _series(records, get_task(task).metric + "_acc")
    acc = [100 * a for a in acc]
    for col, values, color, name in ((1, loss, LOSS_COLOR, "train loss"), (2, acc, ACC_COLOR, "train accuracy")):
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                mode="lines",
                opacity=0.25,
                line={"color": color, "width": 1},
                showlegend=False,
                name=f"{name} (per step)",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=ema(values),
                mode=_mode(len(steps)),
                name=f"{name} (smoothed)",
                line={"color": color, "width": 2},
                marker={"size": 5},
            ),
            row=1,
            col=col,
        )
    dev_keys = [("loss", 1, "dev loss", "circle")]
    dev_keys += (
        [("accuracy", 2, "dev accuracy", "diamond")]
        if not get_task(task).is_qa
        else [("exact_match", 2, "dev exact match", "diamond"), ("f1", 2, "dev F1", "square")]
    )
    for i, (key, col, name, symbol) in enumerate(dev_keys):
        e_steps, values = _series(evals, key)
        scale = 1.0 if key == "loss" else 100.0
        if e_steps:
            fig.add_trace(
                go.Scatter(
                    x=e_steps,
                    y=[scale * v for v in values],
                    name=name,
                    mode="lines+markers",
                    line={"color": DEV_COLOR if i < 2 else "#ff7f0e", "width": 1.5, "dash": "dot"},
                    marker={"symbol": symbol, "size": 9},
                ),
                row=1,
                col=col,
            )
    baseline = baseline_label(dev_class_counts, num_labels) if not get_task(task).is_qa else None
    if baseline is not None:
        _chance(fig, *baseline, col=2)
    _, dev_loss = _series(evals, "loss")
    fig.update_yaxes(range=[0, max([*loss, *dev_loss, 1e-3]) * 1.08], row=1, col=1)
    fig.update_yaxes(range=[0, 100], row=1, col=2)
    return _layout(fig, "Learning curves (dev points: evaluation on held-out examples)")


def confusion_figure(matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> go.Figure:
    """Heatmap of a confusion matrix (rows: true class, columns: predicted), counts and row % in each cell."""
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(labels):
        raise ValueError(f"a {len(labels)}×{len(labels)} matrix is needed for labels {list(labels)}, got {m.shape}")
    share = m / np.maximum(m.sum(1, keepdims=True), 1)  # per true class: recall on the diagonal
    text = [[f"{int(m[i, j]):,}<br>{100 * share[i, j]:.0f}%" for j in range(len(labels))] for i in range(len(labels))]
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=list(labels),
            y=list(labels),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="predicted", side="bottom", type="category")
    fig.update_yaxes(title_text="true", autorange="reversed", type="category")
    size = max(260, 60 * len(labels) + 140)
    fig.update_layout(
        title={"text": "Confusion matrix (dev)", "x": 0.01}, height=size, margin={"l": 10, "r": 10, "t": 50, "b": 10}
    )
    return fig


def class_probability_figure(probabilities: Mapping[str, float]) -> go.Figure:
    """Horizontal bars of P(class), the predicted class highlighted."""
    names = list(probabilities)
    values = [100 * probabilities[n] for n in names]
    best = int(np.argmax(values)) if values else -1
    colors = [AFTER_COLOR if i == best else BEFORE_COLOR for i in range(len(names))]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=colors,
            text=[f"{v:.1f}%" for v in values],
            textposition="auto",
        )
    )
    fig.update_xaxes(range=[0, 100], title_text="probability %")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        height=max(160, 45 * len(names) + 80),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": "Class probabilities", "x": 0.01},
    )
    return fig


def qa_probability_figure(
    tokens: Sequence[str],
    start_probs: Sequence[float],
    end_probs: Sequence[float],
    answer: tuple[int, int] | None = None,
) -> go.Figure:
    """P(answer starts here) and P(answer ends here) over the context tokens, the best answer shaded.

    Args:
        answer: (first, last) token index of the best answer, or None.
    """
    if not len(tokens) == len(start_probs) == len(end_probs):
        raise ValueError(f"{len(tokens)} tokens but {len(start_probs)} start and {len(end_probs)} end probabilities")
    x = list(range(len(tokens)))
    hover = [f"{i}: {t}" for i, t in enumerate(tokens)]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=[100 * p for p in start_probs], name="start", marker_color="#2ca02c", hovertext=hover))
    fig.add_trace(go.Bar(x=x, y=[100 * p for p in end_probs], name="end", marker_color="#d62728", hovertext=hover))
    if answer is not None:
        fig.add_vrect(
            x0=answer[0] - 0.5,
            x1=answer[1] + 0.5,
            fillcolor=HIGHLIGHT,
            opacity=0.35,
            line_width=0,
            annotation_text="answer",
            annotation_position="top left",
        )
    ticks = len(tokens) <= 80  # token labels stay readable up to about this many
    fig.update_xaxes(
        tickmode="array" if ticks else "auto",
        tickvals=x if ticks else None,
        ticktext=list(tokens) if ticks else None,
        tickangle=-60,
        title_text=None if ticks else "token",
    )
    fig.update_yaxes(title_text="probability %", rangemode="tozero")
    fig.update_layout(
        barmode="group",
        height=HEIGHT + 40,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        title={"text": "Where the answer starts and ends (per context token)", "x": 0.01},
        legend={"orientation": "h", "y": 1.12, "x": 0.6},
        hovermode="x unified",
    )
    return fig


def answer_html(context: str, start: int, end: int) -> str:
    """The context as HTML-escaped text with characters [start, end) highlighted (nothing if start == end)."""
    if not 0 <= start <= end <= len(context):
        raise ValueError(f"span ({start}, {end}) is outside a context of {len(context)} characters")
    before, span, after = (html.escape(part) for part in (context[:start], context[start:end], context[end:]))
    marked = (
        f'<mark style="background:{HIGHLIGHT};padding:1px 3px;border-radius:3px;font-weight:600">{span}</mark>'
        if span
        else ""
    )
    return f'<div style="line-height:1.7;white-space:pre-wrap">{before}{marked}{after}</div>'
