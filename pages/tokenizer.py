"""Tokenizer: how text becomes WordPiece tokens, and how a vocabulary trained on a corpus compares."""

import streamlit as st

from bert_core.data import CorpusError
from explorer import corpora, state
from explorer import tokenizer_lab as lab
from explorer.charts import training as charts
from explorer.ui import presenter
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

ss = st.session_state
st.title("Tokenizer")
st.caption(
    "BERT never sees words: it sees *word pieces* from a fixed vocabulary. A rare word is cut into "
    "pieces (`##` marks a piece that continues a word); a character the vocabulary lacks becomes `[UNK]`."
)

trained: lab.TrainedVocab | None = ss.get(state.TOK_TRAINED)
vocabularies = {"stock (30,522)": lab.stock_tokenizer()}
if trained is not None:
    vocabularies[f"trained on {trained.corpus} ({trained.tokenizer.vocab_size:,})"] = trained.tokenizer

st.subheader("Tokenize a sentence or a pair")
c1, c2 = st.columns(2)
c1.text_input("Sentence A", key=state.TOK_TEXT)
c2.text_input("Sentence B (optional: makes a pair)", key=state.TOK_PAIR)
if ss[state.TOK_TEXT].strip():
    columns = st.columns(len(vocabularies))
    for column, (name, tokenizer) in zip(columns, vocabularies.items()):
        rows = lab.token_rows(tokenizer, ss[state.TOK_TEXT], ss[state.TOK_PAIR].strip() or None)
        unks = sum(r["unk"] for r in rows)
        column.markdown(f"**{md(name)}**: {len(rows)} tokens" + (f", **{unks} [UNK]**" if unks else ""))
        column.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            height=min(400, 38 + 35 * len(rows)),
            column_config={"unk": st.column_config.CheckboxColumn("[UNK]")},
        )
else:
    st.info("Type a sentence above.")

st.subheader("Train your own vocabulary")
c1, c2, c3 = st.columns([2, 2, 1])
keep_choice(state.TOK_CORPUS, corpora.BUILTIN_CHOICES + [corpora.UPLOAD_CHOICE])
c1.selectbox(
    "Corpus",
    corpora.BUILTIN_CHOICES + [corpora.UPLOAD_CHOICE],
    key=state.TOK_CORPUS,
    format_func=corpora.corpus_labeler(),
)
c2.slider("Vocabulary size", 200, 30000, step=100, key=state.TOK_VOCAB_SIZE)
if ss[state.TOK_CORPUS] == corpora.UPLOAD_CHOICE:
    upload = st.file_uploader(
        "Corpus file (becomes this session's corpus on every page)",
        type=corpora.UPLOAD_TYPES,
        key=state.TOK_UPLOAD,
        help="Text (blank lines separate documents), CSV or JSON lines "
        "with a text column (named on the Pretrain page), or a zip of .txt files.",
    )
    corpora.take_corpus_upload(upload, state.TOK_CORPUS)
corpus = corpora.corpus_spec(state.TOK_CORPUS)
if c3.button("Train", key=state.TOK_TRAIN, type="primary", width="stretch", disabled=corpus is None):
    with st.spinner("training a WordPiece vocabulary…"):
        try:
            column = corpora.upload_text_column()
            ss[state.TOK_TRAINED] = lab.train_vocab(
                corpus, int(ss[state.TOK_VOCAB_SIZE]), column, **corpora.read_kwargs(corpus[0], column)
            )
        except (CorpusError, ValueError) as exc:
            st.error(md(exc))
        else:
            st.rerun()

if trained is not None:
    st.success(
        f"Trained {trained.tokenizer.vocab_size:,} tokens (asked for {trained.requested_size:,}) on "
        f"{md(trained.corpus)} in {trained.seconds:.1f} s."
    )
    try:
        sentences = lab.comparison_sentences(trained, **corpora.read_kwargs(trained.spec, trained.text_column))
    except CorpusError as exc:  # an upload replaced or removed since
        st.error(md(exc))
        st.stop()
    stats = {name: lab.vocab_stats(t, sentences) for name, t in vocabularies.items()}
    presenter.show_chart(charts.vocab_comparison_figure(stats), key="tok_compare", about="vocab", width="stretch")
    st.caption(
        f"Measured on {len(sentences):,} sentences of {md(trained.corpus)}. Fewer tokens per word means "
        "shorter sequences; a vocabulary trained on the corpus fits its words, the stock one fits English "
        "at large."
    )
    st.markdown("**Example splits side by side**")
    st.dataframe(lab.split_examples(vocabularies, sentences), hide_index=True, width="stretch")
