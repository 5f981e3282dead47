"""Home: what BERT is and what to try first."""

import streamlit as st

from explorer.nav import page
from explorer.pretrain import lesson

st.title("BERT Explorer")
st.markdown(
    """
**BERT** is a *transformer encoder*: it reads a whole sentence at once and turns every word piece into
a vector that depends on all the other words. It learns this with no labels at all, by playing two games
on ordinary text:

- **Masked words (MLM)** — 15% of the word pieces are hidden and the model must guess them back;
- **Next sentence (NSP)** — given two sentences, did the second one really follow the first?

Here you train a small BERT yourself and watch it learn, live.
"""
)
lesson.show()
st.subheader("Try this first")
st.markdown(
    """
1. Open **Pretrain**, keep the defaults (a *tiny* model on 300 news stories) and press **Start**.
2. Watch the **MLM loss** fall below the dashed *chance* line within a minute: the model has started
   to beat random guessing.
3. Look at the **probe sentences**: at first every blank gets "the", "." or ","; after a few hundred
   steps the guesses start to fit the sentence.
4. Open the **batch inspector** to see what the model is actually trained on.
5. Visit **Tokenizer** to see how words are cut into pieces, and **Runs** to compare your runs.
"""
)
c1, c2, c3 = st.columns(3)
c1.page_link(page("pretrain"), label="Pretrain a BERT", icon=":material/model_training:")
c2.page_link(page("tokenizer"), label="Explore the tokenizer", icon=":material/text_fields:")
c3.page_link(page("runs"), label="Saved runs", icon=":material/folder_open:")
