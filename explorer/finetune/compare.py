"""The fine-tune page's before/after view: the starting and the fine-tuned model on the same inputs.

Model queries run under `torch.inference_mode()` inside `bert_core`; derived arrays are cached with
`st.cache_data`, the models passed as `_models` next to their `key` (run path, step and identity).
"""

from __future__ import annotations

import streamlit as st

from bert_core.finetuning.compare import class_separation, compare_attention, compare_embeddings
from bert_core.finetuning.registry import get_task
from bert_core.inspect import projection
from explorer import state
from explorer.charts import before_after as before_after_charts
from explorer.jobs.finetune import FinetunedModels
from explorer.ui import presenter, widgets

COMPARE_MAX_TEXTS = 300  # dev inputs in the before/after map
PLOT_CONFIG = widgets.PLOT_CONFIG


@st.cache_data(max_entries=8, show_spinner="embedding the dev inputs with both models…")
def _embedding_maps(_models: FinetunedModels, key: str, method: str) -> dict:
    texts = list(_models.dev_texts[:COMPARE_MAX_TEXTS])
    labels = list(_models.dev_labels[:COMPARE_MAX_TEXTS]) or None
    pair = compare_embeddings(
        _models.start, _models.tuned, _models.tokenizer, texts, max_length=min(_models.max_seq_length, 128)
    )
    maps = {
        name: projection.project(vectors, method, 2, seed=0)
        if method == "umap"
        else projection.project(vectors, method, 2)
        for name, vectors in (("before", pair.before), ("after", pair.after))
    }
    separation = None
    if labels and len(set(labels)) > 1:
        separation = (class_separation(pair.before, labels), class_separation(pair.after, labels))
    return {
        "before": maps["before"],
        "after": maps["after"],
        "labels": labels,
        "texts": texts,
        "separation": separation,
    }


@st.cache_data(max_entries=16, show_spinner="computing attention with both models…")
def _attention_pair(_models: FinetunedModels, key: str, text: str, pair: str):
    return compare_attention(_models.start, _models.tuned, _models.tokenizer, text, pair or None)


def before_after(models: FinetunedModels, task: str) -> None:
    """The starting and the fine-tuned model side by side: dev embeddings mapped, or [CLS] attention."""
    ss = st.session_state
    view = st.radio(
        "Compare",
        ["embeddings", "attention"],
        key=state.FT_COMPARE_VIEW,
        horizontal=True,
        format_func={
            "embeddings": "sentence embeddings ([CLS], last layer)",
            "attention": "[CLS] attention (last layer)",
        }.get,
    )
    if view == "embeddings":
        if not models.dev_texts:
            st.info("No dev inputs to map.")
            return
        method = st.radio(
            "Projection", ["pca", "umap"], key=state.FT_COMPARE_METHOD, horizontal=True, format_func=str.upper
        )
        data = _embedding_maps(models, models.key, method)
        presenter.show_chart(
            before_after_charts.embedding_before_after_figure(
                data["before"], data["after"], data["labels"], data["texts"], data["separation"]
            ),
            key="ft_compare_embeddings",
            about="ft_embeddings",
            width="stretch",
            config=PLOT_CONFIG,
        )
        st.caption(
            f"The same {len(data['texts']):,} dev {'texts' if task == 'sentiment' else 'questions'}, "
            "embedded by the starting model (left) and the fine-tuned one (right). The classifier reads "
            "the [CLS] vector: fine-tuning pulls the classes apart there. *Class separation* = distance "
            "between class centres / spread within a class (cosine)."
        )
        return
    if not ss[state.FT_COMPARE_TEXT] and models.dev_texts:
        ss[state.FT_COMPARE_TEXT] = models.dev_texts[0]
    text = st.text_input("Input", key=state.FT_COMPARE_TEXT)
    pair = ""
    if get_task(task).is_qa and models.dev_contexts:
        pair = models.dev_contexts[list(models.dev_texts).index(text)] if text in models.dev_texts else ""
        st.caption(
            "For a dev question its passage is the second segment."
            if pair
            else "A typed question is shown alone (no passage)."
        )
    if not text.strip():
        return
    result = _attention_pair(models, models.key, text, pair)
    presenter.show_chart(
        before_after_charts.cls_attention_figure(result.tokens, result.before, result.after),
        key="ft_compare_attention",
        about="ft_attention",
        width="stretch",
        config=PLOT_CONFIG,
    )
    st.caption(
        "How much the [CLS] position attends to each token in the last layer, averaged over heads, "
        "before and after fine-tuning (inputs are cut to 64 tokens)."
    )
