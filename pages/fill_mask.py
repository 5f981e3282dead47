"""Fill-mask: hide words and see what the model guesses; compare two models (or checkpoints) side by side."""

import streamlit as st

from bert_core.inspect.fill_mask import count_masks
from explorer import active_model, state
from explorer.inspect import inspection, views
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

ss = st.session_state
st.title("Fill in the blank")
st.caption(
    "BERT was trained to guess hidden words. Hide a word (click it below, or type `[MASK]`; several are "
    "allowed) and see the model's top guesses with their probabilities. Each blank is guessed on its "
    "own, seeing the rest of the sentence on both sides."
)

loaded = inspection.active_model()
if loaded is None:
    st.stop()

st.text_input("Sentence", key=state.FILL_TEXT)
text = ss[state.FILL_TEXT]
words = views.maskable_words(text)
picked = (
    st.pills(
        "Click words to hide them",
        list(range(len(words))),
        format_func=lambda i: md(words[i][2]),
        selection_mode="multi",
        key=views.pills_key(state.FILL_WORDS, text),
    )
    if words
    else []
)
query = views.mask_words(text, words, picked or [])

c1, c2 = st.columns([1, 2])
c1.slider("Guesses per blank", 1, 20, key=state.FILL_TOP_K)
choices = [""] + [s for s in active_model.comparison_sources() if s != loaded.source]
keep_choice(state.FILL_COMPARE, choices, default="")
c2.selectbox(
    "Compare with",
    choices,
    key=state.FILL_COMPARE,
    format_func=lambda s: active_model.source_label(s) if s else "— no second model —",
    help="Another model or checkpoint, side by side: an early and a late checkpoint of a run "
    "(runs keep their two newest), or two runs.",
)

if count_masks(query) == 0:
    st.info("Click a word above to hide it, or type `[MASK]` in the sentence.")
    st.stop()
st.markdown("**The model sees:** " + "**`[MASK]`**".join(md(part) for part in query.split("[MASK]")))

guesses, lens = st.tabs(["Guesses", "Layer by layer"])
with guesses:
    shown = [loaded]
    if ss[state.FILL_COMPARE]:
        other = inspection.load_or_explain(ss[state.FILL_COMPARE])
        if other is not None:
            shown.append(other)
    for n, (column, model) in enumerate(zip(st.columns(len(shown)), shown)):
        with column:
            views.fill_mask_panel(model, query, int(ss[state.FILL_TOP_K]), key=f"fill_chart_{n}")
with lens:
    views.lens_panel(loaded, query, int(ss[state.FILL_TOP_K]), key="fill_lens")
