"""The time-lapse panel: a step slider (and Play) over the frames a run recorded while it trained.

The Pretrain page shows it for the live run (new frames appear as they are written), the Runs page for a
saved run. Frames come from `bert_core.pretraining.timelapse`; a run without any (trained before the
time-lapse existed, or with `--timelapse-frames 0`) says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from bert_core.inspect.attention import HEAD_STATISTICS
from bert_core.inspect.projection import aligned_maps
from bert_core.pretraining.timelapse import Timelapse
from explorer.charts import inspect as charts_inspect
from explorer.charts import timelapse as charts
from explorer.ui import presenter
from explorer.ui.widget_state import keep_choice

PARTS = {"heads": "Attention heads", "words": "Word map", "guesses": "Guesses"}
PLAY_EVERY_S = 0.8  # seconds a frame stays on screen while playing
LAYERS = {"input": "the input layer (word embeddings)", "last": "the last layer (the word read in context)"}
NO_TIMELAPSE = (
    "This run has no time-lapse: it was trained before runs recorded one (or with `--timelapse-frames 0`). "
    "Train a new run on the **Pretrain** page to watch its inside change step by step."
)


@st.cache_data(max_entries=16, show_spinner=False)
def _head_stats(path: str, steps: tuple[int, ...]) -> dict[str, np.ndarray]:
    lapse = Timelapse.open(path)
    assert lapse is not None
    lapse.steps = list(steps)  # exactly the frames the slider offers, even if a new one was just written
    return lapse.head_statistics()


@st.cache_data(max_entries=16, show_spinner=False)
def _word_maps(path: str, steps: tuple[int, ...], layer: str) -> list[np.ndarray]:
    lapse = Timelapse.open(path)
    assert lapse is not None
    frames = [lapse.frame(s) for s in steps]
    return aligned_maps([f.words_input if layer == "input" else f.words_last for f in frames])


def panel(run_path: Path, key: str) -> None:
    """The whole time-lapse of the run at `run_path`; `key` namespaces its widgets."""
    lapse = Timelapse.open(run_path)
    if lapse is None:
        st.info(NO_TIMELAPSE, icon=":material/movie:")
        return
    ss = st.session_state
    playing = bool(ss.get(f"{key}_play", False))
    if playing and not ss.get(f"{key}_started"):  # Play was just switched on: show this frame first
        ss[f"{key}_started"] = ss[f"{key}_fresh"] = True
        if ss.get(f"{key}_step") == lapse.steps[-1]:
            ss[f"{key}_step"] = lapse.steps[0]  # Play at the last frame starts over
    elif not playing:
        ss.pop(f"{key}_started", None)
    st.fragment(_frames, run_every=PLAY_EVERY_S if playing else None)(run_path, key, playing)


def _advance(key: str, steps: list[int]) -> None:
    """While playing, each tick shows the next frame; after the last one Play switches itself off."""
    ss = st.session_state
    current = ss.get(f"{key}_step", steps[0])
    later = [s for s in steps if s > current]
    if later:
        ss[f"{key}_step"] = later[0]
    else:
        ss[f"{key}_play"] = False
        st.rerun()  # the whole page: the fragment stops ticking


def _frames(run_path: Path, key: str, built_playing: bool) -> None:
    ss = st.session_state
    lapse = Timelapse.open(run_path)
    if lapse is None:
        return
    steps = lapse.steps
    if built_playing and ss.get(f"{key}_play") and not ss.pop(f"{key}_fresh", False):
        _advance(key, steps)  # a tick of the running fragment
    if ss.get(f"{key}_step") == ss.get(f"{key}_newest"):  # at the newest frame: follow the new ones (a live run)
        ss[f"{key}_step"] = steps[-1]
    ss[f"{key}_newest"] = steps[-1]
    keep_choice(f"{key}_step", steps, default=steps[-1])
    c1, c2 = st.columns([1, 6], vertical_alignment="bottom")
    c1.toggle("Play", key=f"{key}_play", help="step through training, about a frame a second")
    if bool(ss.get(f"{key}_play")) != built_playing:
        st.rerun()  # start or stop the ticking (the page builds the fragment again)
    step = c2.select_slider(
        "Training step",
        options=steps,
        key=f"{key}_step",
        format_func=lambda s: f"{s:,}",
        help=f"{len(steps)} snapshots were recorded while this run trained",
    )
    index = steps.index(step)
    frame = lapse.frame(step)
    # One part at a time (tabs would compute all three on every frame of Play and every redraw of a live run).
    keep_choice(f"{key}_part", list(PARTS))
    part = st.segmented_control("Show", list(PARTS), key=f"{key}_part", format_func=PARTS.get) or "heads"
    if part == "heads":
        _heads(lapse, frame, index, key, str(run_path))
    elif part == "words":
        _words(lapse, index, key, str(run_path))
    else:
        _guesses(lapse, frame)


def _heads(lapse: Timelapse, frame, index: int, key: str, path: str) -> None:
    stats = _head_stats(path, tuple(lapse.steps))
    st.caption(
        "Each square is one head, averaged over the probe sentences. Move the slider: at step 0 every head "
        "spreads its attention evenly (high entropy); as training goes on some heads start looking at the "
        "previous or next word (**positional heads**) and others park their attention on [CLS] or [SEP] "
        "(**delimiter heads**)."
    )
    at_step = {name: values[index] for name, values in stats.items()}
    n_tokens = max(len(t) for t in lapse.tokens)
    presenter.show_chart(
        charts_inspect.head_statistics_figure(at_step, HEAD_STATISTICS, n_tokens),
        key=f"{key}_stats",
        about="attn_stats",
        width="stretch",
    )
    layers, heads = int(lapse.meta["layers"]), int(lapse.meta["heads"])
    c1, c2, c3 = st.columns(3)
    layer = keep_choice(f"{key}_layer", list(range(layers)), default=0)
    head = keep_choice(f"{key}_head", list(range(heads)), default=0)
    c1.selectbox("Layer", list(range(layers)), key=f"{key}_layer")
    c2.selectbox("Head", list(range(heads)), key=f"{key}_head")
    probe = keep_choice(f"{key}_probe", list(range(len(lapse.probes))), default=0)
    c3.selectbox("Sentence", list(range(len(lapse.probes))), key=f"{key}_probe", format_func=lambda i: lapse.probes[i])
    presenter.show_chart(
        charts.stat_over_time_figure(lapse.steps, stats, HEAD_STATISTICS, layer, head, lapse.steps[index]),
        key=f"{key}_over_time",
        about="lapse_head",
        width="stretch",
    )
    tokens = lapse.tokens[probe]
    presenter.show_chart(
        charts_inspect.attention_heatmap_figure(
            frame.attention[probe][layer, head], tokens, f"Layer {layer}, head {head} at step {frame.step:,}"
        ),
        key=f"{key}_attention",
        about="attn_heatmap",
    )


def _words(lapse: Timelapse, index: int, key: str, path: str) -> None:
    if not lapse.words:
        st.info("This run recorded no word vectors.")
        return
    layer = keep_choice(f"{key}_words_layer", list(LAYERS), default="last")
    st.radio("Vectors from", list(LAYERS), key=f"{key}_words_layer", format_func=LAYERS.get, horizontal=True)
    maps = _word_maps(path, tuple(lapse.steps), layer)
    low = np.min([m.min(axis=0) for m in maps], axis=0)
    high = np.max([m.max(axis=0) for m in maps], axis=0)
    st.caption(
        "Each dot is a word; words the model uses alike sit close together. The map is turned at every step "
        "to line up with the last one, so movement is learning, not the camera. Watch the coloured groups: "
        "at step 0 they are scattered at random; the days of the week, the months or the numbers pull "
        "together as the model learns they fill the same slots."
    )
    presenter.show_chart(
        charts.word_map_figure(
            maps[index], lapse.words, lapse.groups, (low, high), f"Words at step {lapse.steps[index]:,}"
        ),
        key=f"{key}_words",
        about="lapse_words",
        width="stretch",
    )


def _guesses(lapse: Timelapse, frame) -> None:
    st.caption("The model's top five guesses for each [MASK] of the probe sentences at this step, best first.")
    rows = [
        {"sentence": probe, "blank": n + 1, "guesses": ", ".join(guesses)}
        for probe, per_mask in zip(lapse.probes, frame.guesses)
        for n, guesses in enumerate(per_mask)
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
