"""Embeddings: BERT's vectors for many texts (or tokens), mapped to 2-D/3-D with UMAP or PCA."""

import streamlit as st

from bert_core.inspect import projection
from bert_core.inspect.embeddings import POOLINGS
from explorer import state
from explorer.charts import embeddings as charts_embeddings
from explorer.inspect import inspection, views
from explorer.inspect import texts as text_sources
from explorer.ui import presenter
from explorer.ui.widget_state import keep_choice, keep_in_range

ss = st.session_state
POOLING_LABELS = {"cls": "sentence: [CLS] vector", "mean": "sentence: mean of its tokens", "tokens": "every token"}
COLOR_LABELS = {"label": "label", "word": "word", "layer": "layer", "none": "nothing"}
st.title("Embeddings")
st.caption(
    "Every layer turns each token into a vector. Map many of them to 2-D or 3-D and see what the model "
    "groups together: similar sentences, the same word in different senses, or the labels of a dataset."
)

loaded = inspection.active_model()
if loaded is None:
    st.stop()
n_layers = loaded.model.config.num_hidden_layers

c1, c2 = st.columns([3, 1])
keep_choice(state.EMB_SOURCE, list(text_sources.TEXT_SOURCES))
c1.selectbox("Texts", list(text_sources.TEXT_SOURCES), key=state.EMB_SOURCE, format_func=text_sources.TEXT_SOURCES.get)
c2.number_input("How many", 10, inspection.MAX_POINTS, step=100, key=state.EMB_COUNT)
texts = text_sources.pick_texts(int(ss[state.EMB_COUNT]))
if texts is None or not texts.texts:
    st.info("No texts yet.")
    st.stop()

c1, c2, c3 = st.columns([2, 2, 1])
keep_choice(state.EMB_POOLING, POOLINGS)
c1.radio("Vectors", POOLINGS, key=state.EMB_POOLING, format_func=POOLING_LABELS.get, horizontal=True)
keep_in_range(state.EMB_LAYER, 0, n_layers, default=n_layers)
c2.slider("Layer (0 = the input embeddings)", 0, n_layers, key=state.EMB_LAYER)
c3.toggle("All layers", key=state.EMB_ALL_LAYERS, help="Every layer in one map (colour by layer).")
layers = tuple(range(n_layers + 1)) if ss[state.EMB_ALL_LAYERS] else (int(ss[state.EMB_LAYER]),)

c1, c2, c3, c4 = st.columns(4)
c1.radio("Map", projection.METHODS, key=state.EMB_METHOD, format_func=str.upper, horizontal=True)
c2.radio("Dimensions", [2, 3], key=state.EMB_DIMS, horizontal=True)
umap_off = ss[state.EMB_METHOD] != "umap"
c3.slider(
    "UMAP neighbours",
    2,
    100,
    key=state.EMB_NEIGHBORS,
    disabled=umap_off,
    help="Small: local detail; large: the global shape.",
)
c4.slider(
    "UMAP min distance",
    0.0,
    0.99,
    step=0.01,
    key=state.EMB_MIN_DIST,
    disabled=umap_off,
    help="How tightly points may pack.",
)

emb = inspection.embed(loaded, texts, layers, ss[state.EMB_POOLING])
emb, capped = views.cap_points(emb, inspection.MAX_POINTS)
if capped:
    st.caption(f"Showing the first {inspection.MAX_POINTS:,} points.")
coords = inspection.project(
    (loaded.key, texts.key, layers, ss[state.EMB_POOLING], len(emb.vectors)),
    emb.vectors,
    ss[state.EMB_METHOD],
    int(ss[state.EMB_DIMS]),
    int(ss[state.EMB_NEIGHBORS]),
    float(ss[state.EMB_MIN_DIST]),
)

colour_choices = [c for c in COLOR_LABELS if c != "label" or texts.labels]
colour_choices = [c for c in colour_choices if c != "layer" or len(layers) > 1]
keep_choice(state.EMB_COLOR, colour_choices)
c1, c2 = st.columns([2, 3])
c1.radio("Colour by", colour_choices, key=state.EMB_COLOR, format_func=COLOR_LABELS.get, horizontal=True)
c2.text_input(
    "Words to colour (comma-separated)",
    key=state.EMB_WORDS,
    disabled=ss[state.EMB_COLOR] != "word",
    placeholder="e.g. film, movie, story (tokens: the most frequent ones)",
)
words = views.parse_words(ss[state.EMB_WORDS])
colours = views.point_colours(emb, texts, ss[state.EMB_COLOR], words)
hover = views.point_texts(emb, texts)

click = views.take_click(state.EMB_CHART, state.EMB_CHART_PICKED)
if click is not None:
    ss[state.EMB_POINT] = int(click[0])
picked = keep_choice(state.EMB_POINT, range(len(emb.vectors)))
near, sims = views.neighbours(emb, picked, k=10)

title = (
    f"{len(emb.vectors):,} {'tokens' if emb.tokens is not None else 'texts'} · "
    f"{'all layers' if len(layers) > 1 else f'layer {layers[0]}'} · {ss[state.EMB_METHOD].upper()}"
)
presenter.show_chart(
    charts_embeddings.embedding_scatter_figure(coords, hover, colours, title, picked, near.tolist()),
    key=state.EMB_CHART,
    about="emb_scatter",
    on_select="rerun",
    selection_mode="points",
    width="stretch",
    config={},
)

st.subheader("Nearest neighbours")
st.caption(
    "Click a point (2-D map) or pick one here; neighbours are ranked by cosine similarity of the full "
    "vectors, not by distance on the map."
)
st.selectbox("Point", list(range(len(emb.vectors))), key=state.EMB_POINT, format_func=lambda i: hover[i][:150])
st.dataframe(views.neighbour_rows(emb, texts, near, sims), hide_index=True, width="stretch")
