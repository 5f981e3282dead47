"""Pieces of the fine-tune page: live panel, results and try-it box (the before/after view:
`explorer.finetune.compare`).

Model queries run under `torch.inference_mode()` inside `bert_core`; derived arrays are cached with
`st.cache_data`, the models passed as `_models` next to their `key` (run path, step and identity).
"""

from __future__ import annotations

import streamlit as st

from bert_core.finetuning.predict import QAPrediction, answer, label_probabilities, predict_sentiment
from bert_core.finetuning.registry import get_task
from explorer import state
from explorer.charts import finetune as charts
from explorer.charts import help as chart_help
from explorer.jobs.finetune import FinetunedModels, FinetuneView
from explorer.ui import presenter, widgets
from explorer.ui.safe_text import md

PLOT_CONFIG = widgets.PLOT_CONFIG
MACRO_F1_HELP = (
    "Dashed line: the dev accuracy of always answering the most common class (the majority-class "
    "baseline): a model must beat it to have learned anything."
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def metric_row(view: FinetuneView) -> None:
    last = view.metrics[-1] if view.metrics else {}
    dev = view.evals[-1] if view.evals else {}
    acc_key = get_task(view.task).metric + "_acc"
    cols = st.columns(5)
    cols[0].metric("train loss", f"{last['loss']:.3f}" if last else "—")
    cols[1].metric(
        "train accuracy" if not get_task(view.task).is_qa else "train spans right",
        _pct(last.get(acc_key)) if last else "—",
    )
    if not get_task(view.task).is_qa:
        cols[2].metric("dev accuracy", _pct(dev.get("accuracy")), help=f"at step {dev.get('step', 0)}")
        cols[3].metric("dev macro-F1", _pct(dev.get("macro_f1")), help=chart_help.text("macro_f1"))
    else:
        cols[2].metric("dev exact match", _pct(dev.get("exact_match")), help=f"at step {dev.get('step', 0)}")
        cols[3].metric("dev F1", _pct(dev.get("f1")))
    cols[4].metric("epoch", f"{view.step / max(view.steps_per_epoch, 1):.2f}" if view.steps_per_epoch else "—")


def learning_curves(view: FinetuneView) -> None:
    if not view.metrics and not view.evals:
        st.info("Curves appear after the first step.")
        return
    figure = charts.finetune_curves_figure(
        view.metrics, view.evals, view.task, len(view.labels) or None, view.data_info.get("dev_class_counts")
    )
    presenter.show_chart(figure, key="ft_curves", about="ft_curves", width="stretch", config=PLOT_CONFIG)
    if not get_task(view.task).is_qa:
        st.caption(MACRO_F1_HELP)


def results(view: FinetuneView) -> None:
    """Before → after dev metrics, the confusion matrix and the worst dev errors."""
    before, after = view.before, view.after
    if not after:
        return
    st.subheader("Results on the dev set")
    keys = (
        [
            ("accuracy", "accuracy"),
            ("macro_f1", "macro-F1"),
            ("macro_precision", "macro precision"),
            ("macro_recall", "macro recall"),
        ]
        if not get_task(view.task).is_qa
        else [("exact_match", "exact match"), ("f1", "F1")]
    )
    cols = st.columns(len(keys) + 1)
    for column, (key, label) in zip(cols, keys):
        delta = f"{100 * (after[key] - before[key]):+.1f} points vs. before" if key in before else None
        column.metric(label, _pct(after.get(key)), delta=delta)
    cols[-1].metric(
        "dev loss",
        f"{after['loss']:.3f}",
        delta=f"{after['loss'] - before['loss']:+.3f}" if "loss" in before else None,
        delta_color="inverse",
    )
    if not get_task(view.task).is_qa and view.confusion is not None:
        left, right = st.columns([2, 3])
        presenter.show_chart(
            charts.confusion_figure(view.confusion, view.labels),
            key="ft_confusion",
            where=left,
            about="ft_confusion",
            width="stretch",
            config=PLOT_CONFIG,
        )
        with right:
            st.markdown("**Most confident mistakes** (lowest probability on the true class)")
            rows = [
                {
                    "text": r["text"],
                    "true": r["label"],
                    "predicted": r["predicted"],
                    "confidence": round(100 * r["confidence"], 1),
                }
                for r in view.worst
            ]
            if rows:
                st.dataframe(
                    rows,
                    hide_index=True,
                    width="stretch",
                    key="ft_worst",
                    column_config={"confidence": st.column_config.NumberColumn("confidence %")},
                )
            else:
                st.success("No mistakes on the dev set.")
    elif get_task(view.task).is_qa:
        st.markdown("**Questions it got wrong** (lowest F1 first)")
        rows = [
            {"question": r["question"], "predicted": r["predicted"], "gold": r["gold"], "F1 %": round(100 * r["f1"], 1)}
            for r in view.worst
        ]
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch", key="ft_worst")
        else:
            st.success("Every dev question answered exactly.")


def follow_run(models: FinetunedModels) -> None:
    """When the page shows a different run than last time, start its inputs from that run's own first dev
    example (a sentiment text, or a QA question and its passage), not from the previous run's task."""
    ss = st.session_state
    if ss.get(state.FT_SHOWN_RUN) == models.key:
        return
    ss[state.FT_SHOWN_RUN] = models.key
    ss[state.FT_COMPARE_TEXT] = models.dev_texts[0] if models.dev_texts else ""
    if models.dev_contexts:
        ss[state.FT_TRY_QUESTION], ss[state.FT_TRY_CONTEXT] = models.dev_texts[0], models.dev_contexts[0]


# ---------------------------------------------------------------- try it
def try_sentiment(models: FinetunedModels) -> None:
    text = st.text_input("A sentence to classify", key=state.FT_TRY_TEXT)
    if not text.strip():
        st.caption("Type a sentence.")
        return
    after = label_probabilities(
        models.tuned, predict_sentiment(models.tuned, models.tokenizer, [text], max_length=models.max_seq_length)
    )[0]
    before = label_probabilities(
        models.start, predict_sentiment(models.start, models.tokenizer, [text], max_length=models.max_seq_length)
    )[0]
    best = max(after, key=after.get)
    st.markdown(f"Fine-tuned model: **{md(best)}** ({100 * after[best]:.1f}%)")
    left, right = st.columns(2)
    left.caption("Fine-tuned")
    presenter.show_chart(
        charts.class_probability_figure(after),
        key="ft_try_after",
        where=left,
        about="ft_probs",
        width="stretch",
        config=PLOT_CONFIG,
    )
    right.caption("Before fine-tuning (same encoder start, untrained head: about a coin flip)")
    presenter.show_chart(
        charts.class_probability_figure(before), key="ft_try_before", where=right, width="stretch", config=PLOT_CONFIG
    )


def _answer_tokens(prediction: QAPrediction) -> tuple[int, int] | None:
    if not prediction.spans or prediction.spans[0].start == prediction.spans[0].end:
        return None
    best = prediction.spans[0]
    inside = [i for i, (s, e) in enumerate(prediction.token_offsets) if s < best.end and e > best.start]
    return (inside[0], inside[-1]) if inside else None


def try_qa(models: FinetunedModels) -> None:
    ss = st.session_state
    if not ss[state.FT_TRY_CONTEXT] and models.dev_contexts:  # start from a dev question
        ss[state.FT_TRY_QUESTION], ss[state.FT_TRY_CONTEXT] = models.dev_texts[0], models.dev_contexts[0]
    question = st.text_input("Question", key=state.FT_TRY_QUESTION)
    context = st.text_area("Context (the answer is a span of it)", key=state.FT_TRY_CONTEXT, height=140)
    if not question.strip() or not context.strip():
        st.caption("Type a question and a context.")
        return
    prediction = answer(
        models.tuned,
        models.tokenizer,
        question,
        context,
        n_best=5,
        max_seq_length=models.max_seq_length,
        doc_stride=models.doc_stride,
    )
    best = prediction.spans[0] if prediction.spans else None
    if best is None or best.start == best.end:
        st.warning("The model finds no answer in this context.")
        st.html(charts.answer_html(context, 0, 0))
    else:
        st.markdown(f"Answer: **{md(best.text)}** (p = {best.prob:.2f})")
        st.html(charts.answer_html(context, best.start, best.end))
    presenter.show_chart(
        charts.qa_probability_figure(
            prediction.tokens, prediction.start_probs, prediction.end_probs, _answer_tokens(prediction)
        ),
        key="ft_try_qa_probs",
        about="qa_probs",
        width="stretch",
        config=PLOT_CONFIG,
    )
    st.markdown(
        "**n-best answers**" + (f" (context cut into {prediction.windows} windows)" if prediction.windows > 1 else "")
    )
    st.dataframe(
        [
            {"answer": s.text or "(no answer)", "probability %": round(100 * s.prob, 1), "score": round(s.score, 2)}
            for s in prediction.spans
        ],
        hide_index=True,
        key="ft_nbest",
    )
