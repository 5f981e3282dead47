"""The runs page's table and loss-curve overlay.

The table has to fit a 1,280 px window beside the sidebar (about 800 px for the grid), so the scores
share one "result" column and every column has a width; a missing value is "—", never "None". The
overlay offers only runs with a per-step loss to draw: pretraining runs their MLM loss, fine-tuning
runs their task loss, each kind on its own chart because the two losses are not on one scale.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from explorer.runs.store import RunSummary, dev_result, shown_status, step_metrics

DASH = "—"
# kind of run → (metric drawn, chart title)
CURVES = {
    "pretraining": ("mlm_loss", "Pretraining: MLM loss"),
    "finetuning": ("loss", "Fine-tuning: training loss (task head)"),
}
# Widths in px, about 810 in all: the grid is 820 px wide in a 1,280 px window beside the sidebar.
COLUMNS = {
    "name": st.column_config.TextColumn("name", width=126),
    "kind": st.column_config.TextColumn("kind", width=76),
    "status": st.column_config.TextColumn("status", width=78),
    "shared": st.column_config.TextColumn("shared", width=56),
    "steps": st.column_config.NumberColumn("steps", width=46),
    "model": st.column_config.TextColumn("model", width=118),
    "corpus": st.column_config.TextColumn("data", width=78),
    "result": st.column_config.TextColumn(
        "result",
        width=150,
        help="pretraining: MLM loss / MLM accuracy · NSP accuracy at the last step; fine-tuning: the final dev score",
    ),
    "date": st.column_config.TextColumn("date", width=84),
}


def _number(value: Any, scale: float = 1.0, digits: int = 1) -> str | None:
    return f"{scale * value:.{digits}f}" if isinstance(value, (int, float)) and math.isfinite(value) else None


def result_text(run: RunSummary) -> str:
    """A run's scores in a few words: the final dev score of a fine-tuning run, the last step's MLM loss
    and accuracy and NSP accuracy of a pretraining run, "—" when it has none (an uploaded model)."""
    if run.info.get("kind") == "finetuning":
        return dev_result(run) or DASH
    loss, acc, nsp = (
        _number(run.final.get(key), scale, digits)
        for key, scale, digits in (("mlm_loss", 1.0, 2), ("mlm_acc", 100.0, 0), ("nsp_acc", 100.0, 0))
    )
    text = " · ".join(
        part
        for part in (f"MLM {loss}" + (f" / {acc}%" if acc else "") if loss else "", f"NSP {nsp}%" if nsp else "")
        if part
    )
    return text or DASH


def short_date(run: RunSummary) -> str:
    """`MM-DD HH:MM` this year, else `YYYY-MM-DD` (the full date is in the run's configuration)."""
    date = run.date
    if date == DASH or len(date) < 16:
        return date
    return date[5:] if date[:4] == time.strftime("%Y") else date[:10]


def table_rows(saved: Sequence[RunSummary], shared: Mapping[str, str], training: set[Path]) -> list[dict[str, Any]]:
    """One row per run; `shared` maps run names to their sharing text, `training` holds the paths of
    runs a job is writing now."""
    return [
        {
            "name": r.name,
            "kind": r.info.get("kind") or DASH,
            "status": shown_status(r, training) or DASH,
            "shared": shared.get(r.name, DASH),
            "steps": r.steps,
            "model": r.model or DASH,
            "corpus": r.corpus or DASH,
            "result": result_text(r),
            "date": short_date(r),
        }
        for r in saved
    ]


def curve_kind(run: RunSummary) -> str | None:
    """ "pretraining" or "finetuning": which overlay chart the run's loss curve belongs to; None when it has
    no per-step loss to draw (an uploaded model, a run stopped before its first step)."""
    kind = "finetuning" if run.info.get("kind") == "finetuning" else "pretraining"
    key = CURVES[kind][0]
    return kind if any(key in r for r in step_metrics(run.path)) else None


def overlay_groups(chosen: Sequence[RunSummary]) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Chosen runs' step metrics grouped by kind of curve: {kind: {run name: records}}."""
    groups: dict[str, dict[str, list[dict[str, float]]]] = {kind: {} for kind in CURVES}  # pretraining first
    for run in chosen:
        kind = curve_kind(run)
        if kind is not None:
            groups[kind][run.name] = step_metrics(run.path)
    return {kind: curves for kind, curves in groups.items() if curves}
