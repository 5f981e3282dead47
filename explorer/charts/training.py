"""Plotly figure builders: pure functions of plain data (lists of metric dicts), unit-testable.

Training curves show the raw per-step values faintly and an exponential moving average on top,
because a per-step MLM loss on a small batch is noisy; chance lines give the scale a meaning: a
model that guesses uniformly over V words has loss ln V, a coin flip for NSP has loss ln 2 and 50%
accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

Records = Sequence[Mapping[str, float]]
LOSS_COLOR, ACC_COLOR, CHANCE_COLOR = "#1f77b4", "#2ca02c", "#888888"
HEIGHT = 300
NO_UNK_TEXT = "no [UNK] in these sentences<br>for any vocabulary"
LEGEND_SPACE = 44  # px under the x-axis titles for a horizontal legend of up to two lines
RUN_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


@dataclass(frozen=True)
class Reference:
    """A "what good looks like" mark on a training chart: a band from `low` to `high` (a line when equal)."""

    label: str
    low: float
    high: float
    panel: str  # "loss" | "accuracy" (accuracy in %)


REFERENCE_COLOR, RECIPE_COLOR = "#2ca02c", "#9467bd"
# Where a fully trained BERT-base ends on held-out text. MLM: perplexity 3.7-4.0 for BERT-base-sized runs in
# RoBERTa (Liu et al. 2019, Table 3), i.e. a loss of ~1.3-1.4, up to ~2 in other reproductions; about 60-70%
# of masked tokens right. NSP: 97-98% (Devlin et al. 2019, section 3.1).
BERT_BASE_MLM = (
    Reference("fully trained BERT-base", 1.3, 2.0, "loss"),
    Reference("fully trained BERT-base", 60.0, 70.0, "accuracy"),
)
BERT_BASE_NSP = (Reference("fully trained BERT-base", 97.0, 98.0, "accuracy"),)


def _across(fig: go.Figure, col: int, y0: float, y1: float, label: str, above: bool, font: dict, **shape) -> None:
    """A band (or a line when y0 == y1) across panel `col` with a label at its edge. Explicit axis references
    instead of plotly's row/col helpers (`add_hline(row=…)`), which cost ~30 ms each on every live redraw."""
    x, y = ("x domain", "y") if col == 1 else ("x2 domain", "y2")
    fig.add_shape(type="rect" if y1 > y0 else "line", xref=x, yref=y, x0=0, x1=1, y0=y0, y1=y1, **shape)
    fig.add_annotation(
        xref=x,
        yref=y,
        x=1 if above else 0,
        y=y1 if above else y0,
        text=label,
        showarrow=False,
        xanchor="right" if above else "left",
        yanchor="bottom" if above else "top",
        font=font,
    )


def _reference(fig: go.Figure, ref: Reference) -> None:
    col = 1 if ref.panel == "loss" else 2
    if ref.high > ref.low:
        style = {"fillcolor": REFERENCE_COLOR, "opacity": 0.12, "line_width": 0}
        _across(fig, col, ref.low, ref.high, ref.label, False, {"size": 10, "color": REFERENCE_COLOR}, **style)
    else:
        line = {"color": RECIPE_COLOR, "dash": "dot", "width": 1}
        _across(fig, col, ref.low, ref.low, ref.label, False, {"size": 10, "color": RECIPE_COLOR}, line=line)


def ema(values: Sequence[float], alpha: float = 0.1) -> list[float]:
    """Exponential moving average, bias-corrected so the first points are not pulled toward 0."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = (1 - alpha) * avg + alpha * v
        out.append(avg / (1 - (1 - alpha) ** i))
    return out


MAX_POINTS = 400  # points drawn per line: a 5-minute run has ~5,000 steps, and a chart redrawn every second
# with all of them costs the training thread its time (the smoothing still runs over every step)


def thin(xs: Sequence[float], ys: Sequence[float], n: int = MAX_POINTS) -> tuple[list[float], list[float]]:
    """At most `n` evenly spaced points of a line, the last one always kept."""
    if len(xs) <= n:
        return list(xs), list(ys)
    keep = sorted({round(i * (len(xs) - 1) / (n - 1)) for i in range(n)})
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _series(records: Records, key: str) -> tuple[list[float], list[float]]:
    pairs = [(r["step"], r[key]) for r in records if key in r and "step" in r and math.isfinite(r[key])]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _layout(fig: go.Figure, title: str) -> go.Figure:
    # The legend sits at the foot of the figure (container coordinates) below a bottom margin reserved
    # for it, so it can wrap onto a second line in a narrow column without reaching the axis titles.
    fig.update_layout(
        title={"text": title, "x": 0.01, "y": 0.98, "yanchor": "top", "font": {"size": 15}},
        height=HEIGHT + LEGEND_SPACE,
        margin={"l": 10, "r": 10, "t": 70, "b": 10 + LEGEND_SPACE},
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        hovermode="x unified",
        uirevision=title,
    )  # keep zoom across live updates
    fig.update_xaxes(title_text="step", title_standoff=4, rangemode="tozero")
    return fig


def _chance(fig: go.Figure, y: float, label: str, col: int) -> None:
    line = {"color": CHANCE_COLOR, "dash": "dash", "width": 1}
    _across(fig, col, y, y, label, True, {"size": 11}, line=line)


def _mode(n: int) -> str:
    return "lines+markers" if n < 20 else "lines"  # a lone point drawn as a line is invisible


def loss_accuracy_figure(
    records: Records,
    prefix: str,
    title: str,
    loss_chance: float | None,
    acc_chance: float | None,
    evals: Records = (),
    references: Sequence[Reference] = (),
) -> go.Figure:
    """Loss (left panel) and accuracy in % (right panel) of `prefix` (`mlm` or `nsp`) per step.

    Args:
        records: per-step metric dicts with `step`, `{prefix}_loss`, `{prefix}_acc`.
        loss_chance: the loss of uniform guessing (a dashed line), or None.
        acc_chance: the accuracy of guessing (0–1, a dashed line), or None.
        evals: held-out metric dicts (same keys), drawn as markers.
        references: "what good looks like" bands and lines (accuracy ones in %).
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy %"), horizontal_spacing=0.12)
    steps, loss = _series(records, f"{prefix}_loss")
    _, acc = _series(records, f"{prefix}_acc")
    mode = _mode(len(steps))
    for col, values, color, name in ((1, loss, LOSS_COLOR, "loss"), (2, [100 * a for a in acc], ACC_COLOR, "accuracy")):
        x, raw = thin(steps, values)
        _, smooth = thin(steps, ema(values))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=raw,
                name=f"{name} (per step)",
                mode="lines",
                opacity=0.25,
                line={"color": color, "width": 1},
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=smooth,
                name=f"{name} (smoothed)",
                mode=mode,
                line={"color": color, "width": 2},
                marker={"size": 5},
            ),
            row=1,
            col=col,
        )
    for col, key, scale in ((1, "loss", 1.0), (2, "acc", 100.0)):
        e_steps, e_values = _series(evals, f"{prefix}_{key}")
        if e_steps:
            fig.add_trace(
                go.Scatter(
                    x=e_steps,
                    y=[scale * v for v in e_values],
                    name=f"held-out {key}",
                    mode="markers",
                    marker={"color": "#d62728", "symbol": "diamond", "size": 9},
                ),
                row=1,
                col=col,
            )
    if loss_chance is not None:
        _chance(fig, loss_chance, f"chance {loss_chance:.2f}", col=1)
    if acc_chance is not None:
        _chance(fig, 100 * acc_chance, f"chance {100 * acc_chance:.0f}%", col=2)
    for ref in references:
        _reference(fig, ref)
    top = max([*loss, loss_chance or 0.0, *(r.high for r in references if r.panel == "loss"), 1e-3]) * 1.08
    fig.update_yaxes(range=[0, top], row=1, col=1)
    if acc_chance is not None:
        fig.update_yaxes(range=[0, 100], row=1, col=2)
    else:  # MLM accuracy starts near 0%: a 0-100 axis would flatten it (the references set the top)
        fig.update_yaxes(rangemode="tozero", row=1, col=2)
    return _layout(fig, title)


def mlm_figure(
    records: Records, vocab_size: int | None, evals: Records = (), references: Sequence[Reference] = BERT_BASE_MLM
) -> go.Figure:
    """Masked-LM loss and accuracy; chance loss ln V, and where a trained BERT-base ends."""
    chance = math.log(vocab_size) if vocab_size else None
    return loss_accuracy_figure(records, "mlm", "Masked words (MLM)", chance, None, evals, references)


def nsp_figure(records: Records, evals: Records = (), references: Sequence[Reference] = BERT_BASE_NSP) -> go.Figure:
    """Next-sentence loss and accuracy; chance ln 2 and 50%, and where a trained BERT-base ends."""
    return loss_accuracy_figure(records, "nsp", "Next sentence (NSP)", math.log(2), 0.5, evals, references)


def single_metric_figure(records: Records, key: str, title: str, y_title: str, *, log_y: bool = False) -> go.Figure:
    """One metric per step, e.g. the learning rate or tokens/s."""
    steps, values = thin(*_series(records, key))
    fig = go.Figure(go.Scatter(x=steps, y=values, mode=_mode(len(steps)), name=y_title, line={"width": 2}))
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear", rangemode="tozero")
    return _layout(fig, title)


def lr_figure(records: Records) -> go.Figure:
    return single_metric_figure(records, "lr", "Learning rate (warmup, then linear decay)", "learning rate")


def throughput_figure(records: Records) -> go.Figure:
    return single_metric_figure(records, "tokens_per_s", "Speed", "tokens / s")


def overlay_figure(
    curves: Mapping[str, Records],
    key: str = "mlm_loss",
    title: str = "MLM loss",
    chance: Mapping[str, float] | None = None,
    relative: bool = False,
) -> go.Figure:
    """Smoothed `key` of several runs on one chart (the runs page), each run in its own colour.

    Args:
        chance: each run's chance loss (ln V of its vocabulary); runs missing here have none.
            Drawn as a dashed line in the run's colour: runs with different vocabularies start
            from different heights, so raw losses alone do not compare.
        relative: plot loss ÷ chance instead (1 = uniform guessing); runs without a chance
            value are left out.
    """
    chance = chance or {}
    fig = go.Figure()
    drawn: list[tuple[str, str, list[float]]] = []
    for i, (name, records) in enumerate(curves.items()):
        steps, values = _series(records, key)
        base = chance.get(name)
        if not steps or (relative and not base):
            continue
        color = RUN_COLORS[i % len(RUN_COLORS)]
        x, y = thin(steps, [v / base for v in ema(values)] if relative and base else ema(values))
        fig.add_trace(
            go.Scatter(x=x, y=y, mode=_mode(len(x)), name=name, legendgroup=name, line={"color": color, "width": 2})
        )
        drawn.append((name, color, steps))
    end = max((s[-1] for _, _, s in drawn), default=1)
    if relative and drawn:  # every run's chance is 1 here: one line instead of several drawn on top of each other
        fig.add_trace(
            go.Scatter(
                x=[0, end],
                y=[1.0, 1.0],
                mode="lines",
                name="chance (loss = ln V)",
                line={"color": CHANCE_COLOR, "dash": "dash", "width": 1},
            )
        )
    for name, color, _ in drawn if not relative else ():
        base = chance.get(name)
        if not base:
            continue
        fig.add_trace(
            go.Scatter(
                x=[0, end],
                y=[base, base],
                mode="lines",
                name=f"{name}: chance",
                legendgroup=name,
                showlegend=False,
                line={"color": color, "dash": "dash", "width": 1},
                hovertemplate=f"{name}: chance ln V = {base:.2f}<extra></extra>",
            )
        )
    fig.update_yaxes(
        title_text=f"{key.replace('_', ' ')} ÷ ln V" if relative else key.replace("_", " "), rangemode="tozero"
    )
    return _layout(fig, title)


def vocab_comparison_figure(stats: Mapping[str, Mapping[str, float]]) -> go.Figure:
    """Tokens per word and [UNK] rate of several vocabularies side by side (the tokenizer page).

    Bars carry their values; when no vocabulary produced a single [UNK], the right panel says so in
    words on a 0–1 axis (plotly would otherwise draw empty axes from −1 to 1).
    """
    names = list(stats)
    per_word = [stats[n]["tokens_per_word"] for n in names]
    unk = [1000 * stats[n]["unk_rate"] for n in names]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("tokens per word", "[UNK] per 1,000 tokens"))
    fig.add_trace(
        go.Bar(
            x=names,
            y=per_word,
            showlegend=False,
            marker_color=LOSS_COLOR,
            text=[f"{v:.2f}" for v in per_word],
            textposition="auto",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=unk,
            showlegend=False,
            marker_color="#d62728",
            text=[f"{v:.2f}" if v else "0" for v in unk],
            textposition="outside",
            cliponaxis=False,
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(rangemode="tozero")
    if not any(unk):
        fig.update_yaxes(range=[0, 1], row=1, col=2)
        fig.add_annotation(
            text=NO_UNK_TEXT, xref="x2 domain", yref="y2 domain", x=0.5, y=0.55, showarrow=False, font={"size": 13}
        )
    else:
        fig.update_yaxes(range=[0, max(unk) * 1.2], row=1, col=2)  # room for the value above the tallest bar
    fig.update_layout(height=HEIGHT, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig
