"""Presenter mode: charts, tables and labels big enough for the back row, an optional dark look, and a
"focus" view that shows one chart full-width.

The mode is a per-session toggle (`state.PRESENTER`, set in the sidebar). Every page draws its plotly
charts through `show_chart` (one chart) or `chart_grid` (a grid with a focus button per chart), so the
font scaling, the dark template and the "what am I looking at?" caption happen in one place.

Streamlit 1.67 has no per-session theme switch (`theme.*` options are server-wide and `st.context.theme`
is read-only), so the dark look is constant CSS: the app is inverted (`invert(1) hue-rotate(180deg)`
keeps hues), and charts, images and the QR code are inverted back, the charts drawn with the
`plotly_dark` template. No user text ever goes into the CSS.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer import state
from explorer.charts import help as chart_help

FONT_SCALE = 1.6  # presenter charts: 12 px plotly text becomes ~19 px, readable from the back of a room
PLOTLY_DEFAULT_FONT = 12
HEIGHT_SCALE = 1.4  # presenter charts of a fixed height grow too, so larger labels and legends do not collide
FOCUS_HEIGHT = 560  # px: the focused chart fills a 1280×720 projector below the page title
PLOT_CONFIG = {"displayModeBar": False}  # the toolbar would cover the titles

# Larger text everywhere (Streamlit sizes text in rem) and larger tables: st.dataframe draws on a canvas
# that ignores font-size, so it is zoomed instead.
_LARGE_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stElementContainer"]:has(> [data-testid="stDataFrame"]),
[data-testid="stElementContainer"]:has(> [data-testid="stTable"]) { zoom: 1.3; width: calc(100% / 1.3) !important; }
</style>
"""
_DARK_CSS = """
<style>
.stApp { filter: invert(1) hue-rotate(180deg); background: #ffffff; }
.stApp [data-testid="stPlotlyChart"], .stApp img, .stApp video, .stApp iframe {
  filter: invert(1) hue-rotate(180deg);
}
</style>
"""


def enabled() -> bool:
    """Whether this session is in presenter mode."""
    return bool(st.session_state.get(state.PRESENTER))


def dark() -> bool:
    """Whether this session asked for the dark look (only in presenter mode)."""
    return enabled() and bool(st.session_state.get(state.PRESENTER_DARK))


def _scale_fonts(node: Any, factor: float) -> None:
    """Multiply every explicit font size in a plotly JSON tree (`font`, `tickfont`, `textfont`, …) in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                value["size"] = value["size"] * factor
            _scale_fonts(value, factor)
    elif isinstance(node, list):
        for item in node:
            _scale_fonts(item, factor)


def presenter_figure(
    figure: go.Figure, *, scale: float = FONT_SCALE, dark_theme: bool = False, height: int | None = None
) -> go.Figure:
    """A copy of `figure` with every font `scale` times larger (the default font too), optionally drawn
    with the `plotly_dark` template and a new height. The input figure is not changed."""
    spec = copy.deepcopy(figure.to_plotly_json())
    _scale_fonts(spec, scale)
    layout = spec.setdefault("layout", {})
    font = layout.setdefault("font", {})
    if not isinstance(font.get("size"), (int, float)):
        font["size"] = PLOTLY_DEFAULT_FONT * scale
    top = layout.get("margin", {}).get("t")
    if isinstance(top, (int, float)):  # room for the larger title
        layout["margin"]["t"] = top * scale
    if height is not None:
        layout["height"] = height
    elif isinstance(layout.get("height"), (int, float)) and "width" not in layout:  # room for the larger text
        layout["height"] = round(layout["height"] * HEIGHT_SCALE)
    fig = go.Figure(spec)
    size = font["size"]
    # Streamlit's chart theme sizes ticks, axis titles and legends itself: give them explicit sizes.
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        if axis.tickfont.size is None:
            axis.tickfont.size = size
        if axis.title.font.size is None:
            axis.title.font.size = size
    if fig.layout.legend.font.size is None:
        fig.layout.legend.font.size = size
    if fig.layout.legend.y is not None and fig.layout.legend.y < 0:  # below the plot: clear the larger axis titles
        fig.update_layout(legend={"y": fig.layout.legend.y * scale, "yanchor": "top"})
    if dark_theme:
        fig.update_layout(template="plotly_dark", paper_bgcolor="#0e1117", plot_bgcolor="#0e1117")
    return fig


def show_chart(
    figure: go.Figure,
    *,
    key: str,
    about: str | None = None,
    where: Any = None,
    height: int | None = None,
    **kwargs: Any,
) -> Any:
    """Draw `figure` with `st.plotly_chart` (in `where`, a column or container, default the page),
    scaled for presenter mode, and the `chart_help` caption named `about` under it.

    Returns what `st.plotly_chart` returns (the selection state when `on_select` is passed).
    """
    target = where if where is not None else st
    if enabled():
        figure = presenter_figure(figure, dark_theme=dark(), height=height)
        if dark():
            kwargs["theme"] = None  # Streamlit's own chart theme would replace the dark template
    elif height is not None:
        figure.update_layout(height=height)
    kwargs.setdefault("config", PLOT_CONFIG)
    event = target.plotly_chart(figure, key=key, **kwargs)
    if about is not None:
        target.caption(chart_help.caption(about))
    return event


def focused() -> bool:
    """Whether presenter mode shows one chart alone (pages may then leave out what sits above it)."""
    return enabled() and st.session_state.get(state.PRESENTER_FOCUS) is not None


def _set_focus(chart: str | None) -> None:
    st.session_state[state.PRESENTER_FOCUS] = chart


def chart_grid(figures: Sequence[tuple[str, go.Figure]], *, key: str, columns: int = 2) -> None:
    """Charts (`(chart_help id, figure)` pairs) in a grid of `columns`. In presenter mode each has a
    Focus button; the focused chart is then drawn alone, full-width and tall, until "Back to all charts"."""
    focus = st.session_state.get(state.PRESENTER_FOCUS) if enabled() else None
    if focus in {about for about, _ in figures}:
        about, figure = next(pair for pair in figures if pair[0] == focus)
        st.button("Back to all charts", key=f"{key}_unfocus", on_click=_set_focus, args=(None,))
        show_chart(figure, key=f"{key}_focus", about=about, height=FOCUS_HEIGHT, width="stretch")
        return
    for i, (about, figure) in enumerate(figures):
        if i % columns == 0:
            row = st.columns(columns)
        column = row[i % columns]
        show_chart(figure, key=f"{key}_{i}", about=about, where=column, width="stretch")
        if enabled():
            column.button(
                "Focus",
                key=f"{key}_focus_{i}",
                on_click=_set_focus,
                args=(about,),
                help="Show this chart alone, full-width, for the whole class.",
            )


def settings_expander(key: str, busy: bool) -> Any:
    """A page's "Settings" expander: it folds away when a run starts (the charts get the screen) and opens
    again when the run ends; in between the user may open or close it.

    The expander tracks its state under `key` (`on_change="rerun"`), which is what lets the page close it:
    an expander's `expanded=` only applies when it is first drawn.
    """
    seen = f"{key}_busy"  # whether the last full run of the page saw a run training
    if st.session_state.get(seen) != busy or key not in st.session_state:
        st.session_state[seen] = busy
        st.session_state[key] = not busy
    return st.expander("Settings", key=key, on_change="rerun")


def inject_css() -> None:
    """Presenter mode's constant CSS for this run of the page (nothing when the mode is off)."""
    if enabled():
        st.html(_LARGE_CSS + (_DARK_CSS if dark() else ""))


def sidebar_controls() -> None:
    """The sidebar's presenter toggle and, when on, its dark-look toggle."""
    st.toggle(
        "Presenter mode",
        key=state.PRESENTER_WIDGET,
        on_change=_copy_toggle,
        args=(state.PRESENTER_WIDGET, state.PRESENTER),
        help="Large text in charts and tables, a Focus button on the training charts, "
        "for showing the app on a projector.",
    )
    if enabled():
        st.toggle(
            "Dark look",
            key=state.PRESENTER_DARK_WIDGET,
            on_change=_copy_toggle,
            args=(state.PRESENTER_DARK_WIDGET, state.PRESENTER_DARK),
        )


def _copy_toggle(widget_key: str, key: str) -> None:
    st.session_state[key] = bool(st.session_state[widget_key])


def sync_widgets() -> None:
    """Set the sidebar toggles from the remembered values before they are drawn (Streamlit forgets a
    widget's value on a page where it is not drawn; the plain keys are what survives)."""
    st.session_state[state.PRESENTER_WIDGET] = enabled()
    st.session_state[state.PRESENTER_DARK_WIDGET] = bool(st.session_state.get(state.PRESENTER_DARK))
