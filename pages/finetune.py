"""Fine-tune: teach a pretrained (or random) BERT a task, watch it learn, try it, and see what changed."""

import streamlit as st

from bert_core.data import CorpusError
from bert_core.finetuning.registry import get_task
from explorer import state
from explorer.finetune import compare, form, views
from explorer.ui import presenter, widgets
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

ss = st.session_state
job = form.my_finetune_job()
view = job.view() if job else None
busy = bool(view and view.active)
ss.setdefault(state.FT_RUN_NAME, form.default_run_name())

st.title("Fine-tune BERT on a task")
st.caption(
    "Transfer learning: take an encoder, add a small task head, train both on labelled examples. "
    "Start from the pretrained MiniLM, from one of your runs, or from random weights to see what "
    "pretraining buys.",
    help="Defaults: MiniLM, 4,000 Rotten Tomatoes snippets (a seeded sample), 1 epoch, batch 32, 64 tokens, "
    "500 dev snippets scored 4 times. Measured on this project's busy 2-core CPU with one torch "
    "thread: 125 steps at about 0.6 s, about 2 minutes in all with the evaluations, dev accuracy "
    "about 80% (from about 40% before). A laptop CPU takes 2–4 minutes. Set 'Training examples' "
    "to 0 for the whole 11.5k set (3 epochs gave 85.6%, about 11 minutes). QA on the built-in set: "
    "15 epochs (165 steps) take about 8 minutes at load ~1 and reach a dev exact match of about 52% "
    "(F1 64; docs/finetuning-qa.md).",
)

with presenter.settings_expander(state.FT_SETTINGS, busy):
    data_col, model_col, train_col = st.columns(3)
    with data_col:
        st.subheader("Task and data")
        st.radio(
            "Task",
            ["sentiment", "qa"],
            key=state.FT_TASK,
            horizontal=True,
            disabled=busy,
            on_change=form.on_task_change,
            format_func={"sentiment": "sentiment (classify a text)", "qa": "question answering (find a span)"}.get,
        )
        task = ss[state.FT_TASK]
        choices = form.DATA_CHOICES[task]
        keep_choice(state.FT_DATA, choices)
        st.selectbox(
            "Data",
            choices,
            key=state.FT_DATA,
            format_func=form.data_label,
            disabled=busy,
            on_change=form.on_data_change,
        )
        summary = None
        if ss[state.FT_DATA] == form.UPLOAD:
            kinds = ", ".join(f".{t}" for t in form.UPLOAD_TYPES[task])
            upload = st.file_uploader(
                f"Data file ({kinds})",
                type=form.UPLOAD_TYPES[task],
                key=state.FT_UPLOAD,
                disabled=busy,
                help="A table with a text column and a label column (2 or more classes)."
                if not get_task(task).is_qa
                else "SQuAD v1.1 or v2.0 JSON: data → paragraphs → "
                "context + qas (question, answers with text and answer_start).",
            )
            form.take_upload(task, upload)
        source = form.data_source()
        if source is not None:
            try:
                if not get_task(task).is_qa:
                    text_col = label_col = None
                    if ss[state.FT_DATA] == form.UPLOAD:
                        columns, rows, n = form.table_preview(*source)
                        st.caption(f"**{n:,}** rows · columns: {', '.join(md(c) for c in columns)}")
                        st.dataframe(rows, hide_index=True, height=150)
                        guessed = form.guess_columns(columns)
                        for key, guess in zip((state.FT_TEXT_COLUMN, state.FT_LABEL_COLUMN), guessed):
                            keep_choice(key, columns, default=guess)
                        c1, c2 = st.columns(2)
                        text_col = c1.selectbox("Text column", columns, key=state.FT_TEXT_COLUMN, disabled=busy)
                        label_col = c2.selectbox("Label column", columns, key=state.FT_LABEL_COLUMN, disabled=busy)
                    summary = form.sentiment_summary(source[0], source[1], text_col, label_col)
                    counts = " · ".join(f"{md(k)}: **{v:,}**" for k, v in summary["class_counts"].items())
                    st.caption(f"**{summary['train']:,}** train / **{summary['dev']:,}** dev examples · {counts}")
                else:
                    summary = form.qa_summary(*source)
                    st.caption(
                        f"**{summary['train'] + summary['dev']:,}** questions on **{summary['contexts']:,}** "
                        f"passages ({summary['train']:,} train / {summary['dev']:,} dev"
                        + (", split by passage" if ss[state.FT_DATA] == form.UPLOAD else "")
                        + ")"
                        + (f" · {summary['unanswerable']:,} unanswerable (SQuAD v2)" if summary["unanswerable"] else "")
                    )
            except (CorpusError, ValueError) as exc:
                st.error(md(exc))
                summary = None
            else:
                for note in summary["notes"]:
                    st.caption(f":material/info: {md(note)}")
                with st.popover("Preview"):
                    st.dataframe(summary["preview"], hide_index=True)
    with model_col:
        st.subheader("Starting point")
        inits = form.init_choices()
        keep_choice(state.FT_INIT, inits, default=form.MINILM)
        st.selectbox(
            "Start from",
            inits,
            key=state.FT_INIT,
            format_func=form.init_label,
            disabled=busy,
            help="The encoder's weights at the start; the task head is always new. A saved run keeps its "
            "size and vocabulary (a tiny run learns little: compare it with MiniLM).",
        )
        if ss[state.FT_INIT] == form.HUB:
            st.text_input("Hub model name", key=state.FT_HUB_NAME, disabled=busy)
            st.caption(
                ":material/cloud_off: Downloads from the Hugging Face Hub: this needs an internet "
                "connection. Offline, the run stops at once with a message."
            )
        st.text_input("Run name", key=state.FT_RUN_NAME, disabled=busy)
        st.caption(
            "The fine-tuned model is saved as a run (kind *finetuning*): it is listed on the Runs page and "
            "can be the sidebar's active model for the attention and embedding pages."
        )
    with train_col:
        st.subheader("Training")
        c1, c2 = st.columns(2)
        c1.number_input("Epochs", 0.1, 100.0, step=1.0, key=state.FT_EPOCHS, disabled=busy)
        c2.number_input("Batch size", 1, 256, key=state.FT_BATCH, disabled=busy)
        c1.number_input("Learning rate", 1e-6, 1.0, format="%.0e", step=1e-5, key=state.FT_LR, disabled=busy)
        c2.selectbox(
            "Max sequence length",
            form.SEQ_LEN_CHOICES,
            key=state.FT_SEQ_LEN,
            disabled=busy,
            help="tokens per example; longer texts are cut",
        )
        if get_task(task).is_qa:
            c1.number_input(
                "Doc stride",
                0,
                256,
                step=16,
                key=state.FT_DOC_STRIDE,
                disabled=busy,
                help="A context longer than the window is cut into windows overlapping by this many tokens.",
            )
        c2.number_input("Seed", 0, 2**31 - 1, key=state.FT_SEED, disabled=busy)
        c1.number_input(
            "Freeze encoder for … steps",
            0,
            100_000,
            step=10,
            key=state.FT_FREEZE,
            disabled=busy,
            help="Only the new head learns at first, so its random start does not disturb the pretrained encoder.",
        )
        c2.number_input("Dev evaluations per epoch", 1, 20, key=state.FT_EVALS, disabled=busy)
        c1.number_input(
            "Training examples",
            0,
            1_000_000,
            step=500,
            key=state.FT_MAX_TRAIN,
            disabled=busy,
            help="A seeded sample of the training split keeps a demo short (0: all of it).",
        )
        c2.number_input(
            "Dev examples",
            0,
            1_000_000,
            step=100,
            key=state.FT_MAX_DEV,
            disabled=busy,
            help="A seeded sample of the dev split scored at each evaluation (0: all of it).",
        )

widgets.start_stop_buttons(
    state.FT_START, state.FT_STOP, form.on_start, form.on_stop, busy=busy, can_start=summary is not None
)


def run_view(v) -> None:
    views.metric_row(v)
    views.learning_curves(v)


def live_panel() -> None:
    widgets.live_job_panel(
        form.my_finetune_job(),
        "No fine-tuning run yet: press **Start**. The defaults finish in a few minutes on a laptop CPU.",
        state.FT_SEEN_ACTIVE,
        run_view,
    )


st.fragment(live_panel, run_every=1.0 if busy else None)()  # redraws itself every second while training

if view is not None and not busy:
    views.results(view)
    models = job.models()
    if models is not None:
        views.follow_run(models)
        st.subheader("Try it")
        if not get_task(view.task).is_qa:
            views.try_sentiment(models)
        else:
            views.try_qa(models)
        st.subheader("Before and after")
        compare.before_after(models, view.task)
