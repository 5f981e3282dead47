"""Pretrain: pick a corpus and a model size, start a run, watch it learn live."""

import streamlit as st

from bert_core.data import CorpusError
from explorer import corpora, session, state
from explorer.pretrain import data_checks, form, timelapse_view
from explorer.ui import presenter, widgets
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

ss = st.session_state
job = session.my_job()
view = job.view() if job else None
busy = bool(view and view.active)
ss.setdefault(state.PRETRAIN_RUN_NAME, form.default_run_name())

st.title("Pretrain a BERT")
st.caption(
    "BERT learns by guessing hidden words (MLM) and telling whether two sentences belong together "
    "(NSP). Pick a corpus and a size, press Start, and watch both losses fall below chance."
)

with presenter.settings_expander(state.PRETRAIN_SETTINGS, busy):
    data_col, model_col, train_col = st.columns(3)
    with data_col:
        st.subheader("Data")
        st.selectbox(
            "Corpus",
            corpora.BUILTIN_CHOICES + [corpora.UPLOAD_CHOICE],
            key=state.PRETRAIN_CORPUS_CHOICE,
            format_func=corpora.corpus_labeler(),
            disabled=busy,
            on_change=form.refresh_run_name,
        )
        if ss[state.PRETRAIN_CORPUS_CHOICE] == corpora.UPLOAD_CHOICE:
            upload = st.file_uploader(
                "Corpus file",
                type=corpora.UPLOAD_TYPES,
                key=state.PRETRAIN_UPLOAD,
                disabled=busy,
                help="Text (blank lines separate documents), CSV or JSON "
                "lines with a text column, or a zip of .txt files.",
            )
            corpora.take_corpus_upload(upload, state.PRETRAIN_CORPUS_CHOICE)
            if upload is None and corpora.session_upload():
                st.caption("Your upload stays this session's corpus on every page; a new file replaces it.")
            st.text_input(
                "Text column (CSV / JSON lines)",
                key=state.PRETRAIN_TEXT_COLUMN,
                disabled=busy,
                placeholder="auto: text, content, body, sentence or review",
            )
        corpus = corpora.corpus_spec()
        if corpus is not None:
            try:
                summary = corpora.summarize_corpus(corpus[0], ss[state.PRETRAIN_TEXT_COLUMN].strip() or None)
            except CorpusError as exc:
                st.error(md(exc))
            else:
                s = summary.stats
                st.caption(
                    f"**{s['documents']:,}** documents · **{s['sentences']:,}** sentences · "
                    f"**{s['words']:,}** words · **{summary.tokens:,}** tokens (stock vocabulary) · "
                    + data_checks.heldout_plan(s["documents"])
                )
                with st.popover("Preview"):
                    for text in summary.preview:
                        st.text(text)
    with model_col:
        st.subheader("Model")
        choices = form.init_choices()
        keep_choice(state.PRETRAIN_INIT, choices, default=form.RANDOM_INIT)
        st.selectbox(
            "Start from",
            choices,
            key=state.PRETRAIN_INIT,
            format_func=form.init_label,
            disabled=busy,
            help="Random weights learn English from nothing. Starting from a pretrained model "
            "(domain adaptation) keeps its size and vocabulary and teaches it your corpus.",
        )
        if ss[state.PRETRAIN_INIT] == form.RANDOM_INIT:
            st.radio(
                "Size",
                form.PRESET_CHOICES,
                key=state.PRETRAIN_PRESET,
                horizontal=True,
                disabled=busy,
                help="tiny: 2 layers × 128; mini: 4 × 256; small: 4 × 512 (the small-BERT grid)",
            )
            if ss[state.PRETRAIN_PRESET] == "custom":
                c1, c2, c3 = st.columns(3)
                c1.number_input("Layers", 1, 12, key=state.PRETRAIN_LAYERS, disabled=busy)
                c2.number_input("Hidden", 32, 768, step=32, key=state.PRETRAIN_HIDDEN, disabled=busy)
                c3.number_input("Heads", 1, 12, key=state.PRETRAIN_HEADS, disabled=busy)
            st.radio(
                "Vocabulary",
                ["stock", "train"],
                key=state.PRETRAIN_VOCAB,
                horizontal=True,
                disabled=busy,
                format_func={"stock": "stock uncased (30,522)", "train": "train on this corpus"}.get,
            )
            if ss[state.PRETRAIN_VOCAB] == "train":
                st.slider("Vocabulary size", 500, 30000, step=500, key=state.PRETRAIN_VOCAB_SIZE, disabled=busy)
                if corpus is not None:
                    try:
                        notice = data_checks.vocab_notice(
                            int(ss[state.PRETRAIN_VOCAB_SIZE]),
                            *corpora.reachable_vocab(corpus[0], ss[state.PRETRAIN_TEXT_COLUMN].strip() or None),
                        )
                    except CorpusError:
                        notice = None  # the data column already shows the error
                    if notice:
                        st.warning(notice, icon=":material/warning:")
        else:
            st.caption(
                "The model keeps its own size and vocabulary. Missing MLM/NSP heads (MiniLM has none) "
                "are created fresh, their decoder tied to the word embeddings."
            )
            st.number_input(
                "Freeze the encoder for the first … steps",
                0,
                100_000,
                step=10,
                key=state.PRETRAIN_FREEZE,
                disabled=busy,
                help="Only the new heads learn at first, so their random start does not disturb "
                "the pretrained encoder.",
            )
        st.text_input("Run name", key=state.PRETRAIN_RUN_NAME, disabled=busy)
    with train_col:
        st.subheader("Training")
        c1, c2 = st.columns(2)
        c1.number_input(
            "Time budget (minutes)",
            0.0,
            120.0,
            step=1.0,
            format="%.1f",
            key=state.PRETRAIN_MINUTES,
            disabled=busy,
            help="The run times its first steps, then fits its number of steps to this budget, so the "
            "learning rate decays to zero right on time (the held-out evaluation included). 0: run exactly "
            "the steps set beside it.",
        )
        c2.number_input(
            "Steps",
            1,
            100_000,
            step=50,
            key=state.PRETRAIN_STEPS,
            disabled=busy,
            help="optimizer steps; with a time budget, the most it may take",
        )
        c1.number_input("Batch size", 1, 512, key=state.PRETRAIN_BATCH, disabled=busy)
        c2.selectbox("Sequence length", form.SEQ_LEN_CHOICES, key=state.PRETRAIN_SEQ_LEN, disabled=busy)
        c1.number_input("Learning rate", 1e-6, 10.0, format="%.0e", step=1e-4, key=state.PRETRAIN_LR, disabled=busy)
        c2.number_input("Warmup steps", 0, 10_000, key=state.PRETRAIN_WARMUP, disabled=busy)
        c1.number_input("Seed", 0, 2**31 - 1, key=state.PRETRAIN_SEED, disabled=busy)
        c2.number_input(
            "Checkpoint every",
            0,
            100_000,
            step=50,
            key=state.PRETRAIN_SAVE_EVERY,
            disabled=busy,
            help="steps between checkpoints (0: only at the end)",
        )
        c1.number_input(
            "Probe every",
            1,
            1000,
            key=state.PRETRAIN_PROBE_EVERY,
            disabled=busy,
            help="steps between updates of the probe sentences and the batch inspector",
        )
        st.toggle(
            "Whole-word masking",
            key=state.PRETRAIN_WWM,
            disabled=busy,
            help="mask all pieces of a word together (play ##ing), not single pieces",
        )

PROBES_LABEL = "Probe sentences (one per line, each with [MASK]); their guesses are tracked while training"
if not busy:
    st.text_area(PROBES_LABEL, key=state.PRETRAIN_PROBES, height=90)

b3 = widgets.start_stop_buttons(state.PRETRAIN_START, state.PRETRAIN_STOP, form.on_start, form.on_stop, busy=busy)
if view is not None and not busy and form.can_resume(view):
    if view.status == "finished":
        extra = b3.number_input(
            "More steps", 10, 100_000, step=50, key=state.PRETRAIN_EXTRA_STEPS, label_visibility="collapsed"
        )
        b3.button(
            f"Continue {extra} more steps",
            key=state.PRETRAIN_RESUME,
            on_click=form.on_resume,
            args=(int(extra),),
            icon=":material/fast_forward:",
        )
    else:
        b3.button(
            "Resume", key=state.PRETRAIN_RESUME, on_click=form.on_resume, icon=":material/replay:", width="stretch"
        )


VIEWS = {"curves": "Learning curves", "probes": "Probe sentences", "batch": "Batch inspector", "lapse": "Time-lapse"}


def run_view(v) -> None:
    if not presenter.focused():  # one chart in focus: it gets the projector's screen
        widgets.metric_row(v)
        widgets.before_after(v)
    # One view at a time (not tabs, which compute every view on every redraw): the live panel redraws each
    # second, and the less it draws the more of the machine the training thread keeps.
    keep_choice(state.PRETRAIN_VIEW, list(VIEWS))
    shown = (
        st.segmented_control(
            "View", list(VIEWS), key=state.PRETRAIN_VIEW, format_func=VIEWS.get, label_visibility="collapsed"
        )
        or "curves"
    )  # a click on the chosen view unselects it: the curves then
    if shown == "curves":
        widgets.training_charts(v, "pretrain_chart")
    elif shown == "probes":
        if v.active:  # editable while training: the next update uses the new sentences
            st.text_area(PROBES_LABEL, key=state.PRETRAIN_PROBES, height=90, on_change=form.on_probes_changed)
        widgets.probe_timeline(v.probes)
    elif shown == "batch":
        widgets.batch_inspector(v.example)
    else:
        timelapse_view.panel(v.run_path, "pretrain_lapse")


def live_panel() -> None:
    widgets.live_job_panel(
        session.my_job(),
        "No run yet: press **Start**. With the defaults the loss curve moves within a minute.",
        state.PRETRAIN_SEEN_ACTIVE,
        run_view,
    )


# Redraws itself while training, every LIVE_REDRAW_S: drawing the four curves costs ~0.3 s of Python, which the
# training thread (a tiny model is mostly Python time) would otherwise lose every second (bench/app_speed.py).
st.fragment(live_panel, run_every=widgets.LIVE_REDRAW_S if busy else None)()
