"""The default name of a new pretraining run, and keeping it in step with the form's corpus and model.

Apart from the pretrain form so that `explorer.corpora` (a new upload renames an auto-named run) need not
import a page's form.
"""

from __future__ import annotations

import re
import time

import streamlit as st

from explorer import state

RANDOM_INIT = "random"  # the pretrain form's "Start from" choice for random weights
_AUTO_NAME = re.compile(r"(tiny|mini|small|custom|adapted)-[a-z]+-\d{4}-\d{6}")  # what default_run_name makes


def default_run_name() -> str:
    """`<size or adapted>-<corpus>-<month day>-<time>`, e.g. `tiny-lee-1203-154512`."""
    ss = st.session_state
    corpus = ss.get(state.PRETRAIN_CORPUS_CHOICE, "builtin:lee").removeprefix("builtin:")
    init = ss.get(state.PRETRAIN_INIT, RANDOM_INIT)
    model = ss.get(state.PRETRAIN_PRESET, "tiny") if init == RANDOM_INIT else "adapted"
    return f"{model}-{corpus}-{time.strftime('%m%d-%H%M%S')}"


def refresh_run_name() -> None:
    """A new default run name after the corpus or the model changed, unless the user typed one: the
    default names the corpus, and a name saying `lee` on an upload's run misleads."""
    ss = st.session_state
    if _AUTO_NAME.fullmatch(ss.get(state.PRETRAIN_RUN_NAME, "")):
        ss[state.PRETRAIN_RUN_NAME] = default_run_name()
