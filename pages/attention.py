"""Attention: every layer and head for a sentence or a pair, per-head statistics, bertviz views (offline)."""

import streamlit as st

from explorer import state
from explorer.charts import inspect as charts_inspect
from explorer.inspect import bertviz_offline, inspection, views
from explorer.ui import presenter
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice

ss = st.session_state
st.title("Attention")
st.caption(
    "In every layer each head decides, for each token, how much to look at every other token. Some heads "
    "look at the next or previous word, some at `[SEP]` or `[CLS]` (a way of doing nothing), a few at "
    "words that belong together."
)

loaded = inspection.active_model()
if loaded is None:
    st.stop()
c1, c2 = st.columns(2)
c1.text_input("Sentence A", key=state.ATTN_TEXT)
c2.text_input("Sentence B (optional: makes a pair)", key=state.ATTN_PAIR)
if not ss[state.ATTN_TEXT].strip():
    st.info("Type a sentence above.")
    st.stop()
text, pair = ss[state.ATTN_TEXT], ss[state.ATTN_PAIR].strip()
maps = inspection.attention_maps(loaded.model, loaded.tokenizer, loaded.key, text, pair)
pieces = len(maps.tokens)
st.toggle(
    "Whole words",
    key=state.ATTN_WORDS,
    help="Merge the pieces of a word (e.g. play ##ing): attention *to* a word is the sum over its pieces, "
    "*from* a word the average of its pieces' rows (Clark et al. 2019), so every row still sums to 1.",
)
if ss[state.ATTN_WORDS]:
    maps = inspection.word_level(maps)
n_layers, n_heads, n_tokens = inspection.grid_shape(maps)
unit = f"{n_tokens} words ({pieces} pieces)" if ss[state.ATTN_WORDS] else f"{n_tokens} tokens"
st.caption(f"**{md(loaded.label)}** · {unit} · {n_layers} layers × {n_heads} heads")
if maps.truncated:
    st.warning(
        f"The input is longer than {n_tokens} tokens: only its first {n_tokens} are shown (a longer input "
        "makes the grid unreadable and can exceed the model's positions).",
        icon=":material/content_cut:",
    )

grid_tab, stats_tab, rollout_tab, head_tab, model_tab = st.tabs(
    ["Every head", "Head statistics", "Rollout", "Head view (bertviz)", "Model view (bertviz)"]
)
with grid_tab:
    st.caption(
        "Rows are layers, columns heads; in each square a row is the token attending, a column the token "
        "it looks at. Click a square to enlarge it below."
    )
    presenter.show_chart(
        charts_inspect.attention_grid_figure(maps.weights, maps.tokens),
        key=state.ATTN_GRID,
        about="attn_grid",
        on_select="rerun",
        selection_mode="points",
        width="content",
    )
    click = views.take_click(state.ATTN_GRID, state.ATTN_GRID_PICKED)
    if click is not None:
        ss[state.ATTN_LAYER], ss[state.ATTN_HEAD] = int(click[0]), int(click[1])
    keep_choice(state.ATTN_LAYER, range(n_layers), default=n_layers - 1)
    keep_choice(state.ATTN_HEAD, range(n_heads), default=n_heads - 1)
    c1, c2, _ = st.columns([1, 1, 3])
    layer = c1.selectbox("Layer", list(range(n_layers)), key=state.ATTN_LAYER)
    head = c2.selectbox("Head", list(range(n_heads)), key=state.ATTN_HEAD)
    presenter.show_chart(
        charts_inspect.attention_heatmap_figure(
            inspection.head_weights(maps, layer, head), maps.tokens, f"layer {layer}, head {head}"
        ),
        key="attn_enlarged",
        about="attn_heatmap",
    )

with stats_tab:
    stats, stat_labels = inspection.head_stats(maps)
    presenter.show_chart(
        charts_inspect.head_statistics_figure(stats, stat_labels, n_tokens),
        key="attn_stats",
        about="attn_stats",
        width="stretch",
    )
    st.caption(
        "Each number is averaged over the tokens of the input. **Entropy** (in bits): 0 when a head puts "
        f"all its weight on one token, log2 {n_tokens} = {inspection.log2(n_tokens):.1f} when it spreads "
        "evenly. A head with most weight on **[SEP]** or **[CLS]** is a *delimiter* head (often a no-op); "
        "one with most weight on the **previous** or **next** token is a *positional* head. The five attention "
        "shares use one colour scale (0 to 1), entropy its own; hover a cell for its value."
    )

with rollout_tab:
    st.caption(
        "Attention rollout (Abnar & Zuidema 2020) follows attention through all the layers at once: each "
        "layer's heads are averaged, the skip connection is added (half the weight stays on the token itself), "
        "and the layers are multiplied together. Row i shows where the information in token i, at the top "
        "of the model, came from in the input."
    )
    presenter.show_chart(
        charts_inspect.attention_heatmap_figure(inspection.rollout_map(maps), maps.tokens, "rollout, every layer"),
        key="attn_rollout",
        about="attn_rollout",
    )

with head_tab:
    st.caption(
        "Lines link each token (left) to the tokens it attends to (right); one colour per head. Hover a "
        "token to see only its lines; double-click a colour to show that head alone."
    )
    try:
        st.iframe(
            inspection.bertviz_html("head", loaded.key, text, pair, maps),
            height=bertviz_offline.head_view_height(n_tokens),
        )
    except (OSError, ValueError) as exc:
        st.error(f"bertviz's head view is unavailable: {md(exc)}")

with model_tab:
    st.caption("Every head of every layer at a glance; click a thumbnail to enlarge it.")
    try:
        st.iframe(
            inspection.bertviz_html("model", loaded.key, text, pair, maps),
            height=bertviz_offline.model_view_height(n_layers, n_heads, n_tokens, pair=bool(pair)),
        )
    except (OSError, ValueError) as exc:
        st.error(f"bertviz's model view is unavailable: {md(exc)}")
