"""Keep a widget's stored value valid before the widget is drawn.

A keyed widget's value lives in `st.session_state` and outlives the options it was picked from: the
texts of the embeddings page change under the point picker, a 2-layer run replaces the 6-layer MiniLM
under the layer slider, a run is deleted under a "Start from" box. Worse, the browser sends back the
*label* it last showed, and when that label is no longer an option Streamlit hands the page the label
itself (a sentence where an index was expected). A page calls one of these functions before it reads
the value or draws the widget; a value that is not valid any more is replaced by a default.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

import streamlit as st

_MISSING = object()  # no value stored, or no default given
_DROP = object()  # keep_choices: an item that is no option any more


def valid_choice(value: Any, options: Sequence[Any], default: Any = _MISSING) -> Any:
    """`value` when it is one of `options`, else `default` (the first option when not given; None when
    there are no options)."""
    try:
        if value in options:
            return value
    except (TypeError, ValueError):  # a value that cannot be compared (an array) is no option
        pass
    if default is not _MISSING:
        return default
    return options[0] if len(options) else None


def valid_number(value: Any, low: float, high: float, default: float | None = None) -> float:
    """`value` when it is a number within [low, high], else `default` (clamped into the range; `low`
    when not given). Booleans and strings are not numbers here."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
        return value
    fallback = low if default is None else default
    return min(max(fallback, low), high)


def keep_choice(
    key: str, options: Sequence[Any], default: Any = _MISSING, store: MutableMapping[str, Any] | None = None
) -> Any:
    """Make `store[key]` (default: `st.session_state`) one of `options` for a selectbox, radio,
    pills or segmented control; return the value kept."""
    store = st.session_state if store is None else store
    value = valid_choice(store.get(key, _MISSING), list(options), default)
    if store.get(key, _MISSING) is not value:
        store[key] = value
    return value


def keep_choices(
    key: str, options: Iterable[Any], default: Iterable[Any] = (), store: MutableMapping[str, Any] | None = None
) -> list[Any]:
    """Make `store[key]` a list of items of `options` for a multiselect (items no longer offered are
    dropped; `default` when nothing was stored); return it."""
    store = st.session_state if store is None else store
    offered = list(options)
    stored = store.get(key, _MISSING)
    items = list(default) if stored is _MISSING else stored if isinstance(stored, (list, tuple)) else []
    kept = [item for item in items if valid_choice(item, offered, _DROP) is not _DROP]
    if stored is _MISSING or stored != kept or not isinstance(stored, list):
        store[key] = kept
    return kept


def keep_in_range(
    key: str, low: float, high: float, default: float | None = None, store: MutableMapping[str, Any] | None = None
) -> float:
    """Make `store[key]` a number within [low, high] for a slider or number input; return it."""
    store = st.session_state if store is None else store
    stored = store.get(key, _MISSING)
    value = valid_number(stored, low, high, default)
    if stored is not value:
        store[key] = value
    return value
