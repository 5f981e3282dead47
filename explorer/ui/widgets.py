"""Reusable pieces of page layout: the live training panel, the probe timeline, the batch inspector."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

from bert_core.pretraining.masking import KIND_KEPT, KIND_MASK, KIND_NONE, KIND_RANDOM
from explorer.charts import training as charts
from explorer.classroom import teacher as classroom
from explorer.jobs.pretrain import InspectedExample, JobView, ProbeRecord
from explorer.jobs.registry import Job
from explorer.pretrain import data_checks
from explorer.ui import presenter
from explorer.ui.safe_text import md

KIND_STYLE = {  # background colour, legend text
    KIND_MASK: ("#9ecae1", "replaced by [MASK] (80%)"),
    KIND_RANDOM: ("#fdae6b", "replaced by a random word (10%)"),
    KIND_KEPT: ("#a1d99b", "kept unchanged (10%)"),
}
PLOT_CONFIG = {"displayModeBar": False}  # live charts: the toolbar would cover the titles
STATUS_ICON = {
    "queued": ":material/schedule:",
    "preparing": ":material/hourglass_top:",
    "running": ":material/directions_run:",
    "stopping": ":material/pause_circle:",
    "stopped": ":material/stop_circle:",
    "finished": ":material/check_circle:",
    "diverged": ":material/warning:",
    "failed": ":material/error:",
}


def format_seconds(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds // 60 % 60:02d}"


def status_line(view: JobView) -> None:
    icon = STATUS_ICON.get(view.status, "")
    text = f"{icon} **{view.run_name}** — {view.status}: {view.message}"
    if view.status in ("failed", "diverged"):
        st.error(text)
    else:
        st.markdown(text)
    fraction = min(1.0, view.step / max(view.max_steps, 1))
    eta = view.eta_s
    label = f"step {view.step:,} / {view.max_steps:,}" + (f" — about {format_seconds(eta)} left" if eta else "")
    st.progress(fraction, text=label)


def metric_row(view: JobView) -> None:
    last = view.metrics[-1] if view.metrics else {}
    cols = st.columns(5)
    cols[0].metric("MLM loss", f"{last['mlm_loss']:.3f}" if last else "—")
    cols[1].metric("MLM accuracy", f"{100 * last['mlm_acc']:.1f}%" if last else "—")
    cols[2].metric("NSP accuracy", f"{100 * last['nsp_acc']:.0f}%" if last else "—")
    cols[3].metric("tokens / s", f"{last['tokens_per_s']:,.0f}" if last else "—")
    cols[4].metric("elapsed", format_seconds(last["elapsed"]) if last else "—")


def before_after(view: JobView) -> None:
    """Held-out masked-token accuracy and perplexity before training and at the latest evaluation."""
    evals = [e for e in view.evals if "mlm_acc" in e]
    if not evals or evals[0].get("step") != 0:
        return
    before, after = evals[0], evals[-1]
    size = data_checks.heldout_size(before)
    size = f" (held-out set: {size})" if size else ""
    if after is before:
        st.caption(
            f"Held-out before training{size}: masked-token accuracy **{100 * before['mlm_acc']:.1f}%**, "
            f"perplexity **{before['mlm_perplexity']:,.0f}**. The after-value appears when the run "
            "stops or finishes."
        )
    else:
        st.caption(
            f"Held-out (step 0 → step {after['step']}){size}: masked-token accuracy "
            f"**{100 * before['mlm_acc']:.1f}% → {100 * after['mlm_acc']:.1f}%**, perplexity "
            f"**{before['mlm_perplexity']:,.0f} → {after['mlm_perplexity']:,.0f}**, NSP accuracy "
            f"**{100 * before['nsp_acc']:.0f}% → {100 * after['nsp_acc']:.0f}%**"
        )
    warning = data_checks.heldout_warning(before)
    if warning:
        st.warning(warning, icon=":material/warning:")


LIVE_REDRAW_S = 2.0  # seconds between redraws of the Pretrain page's live panel while a run trains
BERT_BASE_TOKENS = 128_000 * 1_000_000  # Devlin et al. 2019: 1M steps of 256 × 512 tokens, ~40 epochs of 3.3B words


def tokens_seen(metrics: Sequence[Mapping[str, float]]) -> float:
    """Word pieces the run has read so far (each step's tokens/s times its time)."""
    return sum(m.get("tokens_per_s", 0.0) * m.get("step_time", 0.0) for m in metrics)


def real_bert_note(tokens: float) -> str:
    """ "How far is this from a real BERT?": the run's reading against BERT-base's, in one short paragraph."""
    times = BERT_BASE_TOKENS / max(tokens, 1.0)
    return (
        f"**How far is this from a real BERT?** This run has read {tokens / 1e6:,.1f} million word pieces. "
        f"BERT-base read about 128 billion ({times:,.0f} times more: 1,000,000 steps of 256 sequences × 512 "
        "tokens, some 40 passes over 3.3 billion words of books and Wikipedia) with a model ~100 times larger, "
        "on 16 TPU chips for four days. Same recipe, far more compute: that is what the green bands measure."
    )


def training_figures(view: JobView) -> list[tuple[str, Any]]:
    """The live panel's learning curves as (chart help id, figure): MLM, NSP, learning rate, speed."""
    evals = [e for e in view.evals if "mlm_loss" in e]
    return [
        ("mlm", charts.mlm_figure(view.metrics, view.vocab_size, evals)),
        ("nsp", charts.nsp_figure(view.metrics, evals)),
        ("lr", charts.lr_figure(view.metrics)),
        ("speed", charts.throughput_figure(view.metrics)),
    ]


def training_charts(view: JobView, key: str) -> None:
    """MLM, NSP, learning-rate and throughput charts (keys must be unique per page)."""
    if not view.metrics:
        st.info("Charts appear after the first step.")
        return
    presenter.chart_grid(training_figures(view), key=key)
    st.caption(real_bert_note(tokens_seen(view.metrics)))


def _guess_cell(tokens: list[str], probs: list[float]) -> str:
    return "  ".join(f"{t} {100 * p:.0f}%" for t, p in zip(tokens, probs))


def probe_timeline(records: tuple[ProbeRecord, ...]) -> None:
    """For each probe sentence, its top-5 guesses at every recorded step (newest first)."""
    if not records or not records[-1].results:
        st.caption("Predictions appear after the first step.")
        return
    for index, result in enumerate(records[-1].results):
        st.markdown(f"**{md(result.text)}**")
        if not result.masks:
            st.caption("This sentence has no [MASK]: write one, e.g. `The [MASK] was late.`")
            continue
        rows = []
        for record in reversed(records):
            if index >= len(record.results):
                continue
            masks = record.results[index].masks
            row = {"step": record.step}
            for m, mask in enumerate(masks):
                row[f"[MASK] {m + 1}" if len(masks) > 1 else "top-5 guesses"] = _guess_cell(mask.tokens, mask.probs)
            rows.append(row)
        st.dataframe(rows, hide_index=True, width="stretch", height=min(250, 38 + 35 * len(rows)))


def batch_inspector(example: InspectedExample | None) -> None:
    """One training sequence: masked positions coloured by their 80/10/10 fate, with the model's guesses."""
    if example is None:
        st.caption("The inspector shows an example after the first step.")
        return
    legend = " ".join(
        f'<span style="background:{c};padding:2px 6px;border-radius:4px">{html.escape(t)}</span>'
        for c, t in KIND_STYLE.values()
    )
    parts = []
    for tok in example.tokens:
        text = html.escape(tok.token)
        if tok.kind == KIND_NONE:
            style = "color:#888" if tok.token in ("[CLS]", "[SEP]") else ""
            style += ";border-bottom:2px dotted #bbb" if tok.segment == 1 and tok.token != "[SEP]" else ""
            parts.append(f'<span style="{style}">{text}</span>')
            continue
        colour = KIND_STYLE[tok.kind][0]
        underline = "border-bottom:2px dotted #888;" if tok.segment == 1 else ""
        ok = tok.guess == tok.original
        guess = html.escape(tok.guess or "?")
        prob = 100 * (tok.guess_prob or 0.0)
        tip = html.escape(f"original: {tok.original} · model guessed: {tok.guess} ({prob:.0f}%)")
        parts.append(
            f'<span title="{tip}" style="{underline}display:inline-block;text-align:center;background:{colour};'
            f'border-radius:4px;padding:0 4px;margin:1px;line-height:1.2">{text}<br>'
            f"<small>was <b>{html.escape(tok.original)}</b></small><br>"
            f'<small style="color:{"#006d2c" if ok else "#a50f15"}">{"✓" if ok else "✗"} {guess}</small></span>'
        )
    label = "B is a random sentence" if example.is_random_next else "B really follows A"
    verdict = "random" if example.random_next_prob >= 0.5 else "follows"
    st.html(
        f'<div style="font-size:0.85rem;margin-bottom:6px">{legend}</div>'
        f'<div style="line-height:2.6;font-family:monospace">{" ".join(parts)}</div>'
    )
    st.markdown(
        f"**Next-sentence pair** (step {example.step}): truth — *{label}*; the model says *{verdict}* "
        f"(P(random) = {100 * example.random_next_prob:.0f}%). Segment A runs from `[CLS]` to the first "
        "`[SEP]`; segment B (dotted underline) follows it. Hover a coloured token for details."
    )


def start_stop_buttons(
    start_key: str,
    stop_key: str,
    on_start: Callable[[], None],
    on_stop: Callable[[], None],
    *,
    busy: bool,
    can_start: bool = True,
) -> Any:
    """A training page's Start and Stop buttons, side by side; returns the column after them (for a
    Resume button). Start is disabled while a run is active or when `can_start` is False."""
    b1, b2, spare, _ = st.columns([3, 3, 5, 3])  # room for "Start" in presenter mode's larger text
    b1.button(
        "Start",
        key=start_key,
        type="primary",
        on_click=on_start,
        disabled=busy or not can_start,
        icon=":material/play_arrow:",
        width="stretch",
    )
    b2.button("Stop", key=stop_key, on_click=on_stop, disabled=not busy, icon=":material/stop:", width="stretch")
    return spare


def live_job_panel(job: Job | None, empty: str, seen_key: str, body: Callable[[Any], None]) -> None:
    """The live part of a training page, run in a fragment that redraws every second while training.

    Shows `empty` when there is no job; else the status line, the queue notice and `body(view)`. When
    a run the page saw active (`seen_key` in the session state) has ended, reruns the whole page so its
    buttons, settings and results catch up.
    """
    if job is None:
        st.info(empty)
        return
    view = job.view()
    status_line(view)
    classroom.queue_notice(job)
    body(view)
    if st.session_state.get(seen_key) and not view.active:
        st.session_state[seen_key] = False
        st.rerun()
