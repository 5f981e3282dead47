"""bertviz's head view and model view as self-contained HTML that renders with no internet.

bertviz's HTML loads require.js from a CDN, then `require.config` points d3 and jQuery at CDN URLs
and `requirejs(['jquery', 'd3'], fn)` draws. Offline that draws nothing. Here the CDN script tag
and the `require.config` call are dropped, d3 v5 (from the `mpld3` package) and jQuery (from
`xstatic-jquery`) are inlined, and a two-line shim makes `requirejs(deps, fn)` call
`fn(jQuery, d3)` at once. The result goes into an iframe (`st.iframe`).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import numpy as np
import torch

D3 = ("mpld3", "js/d3.v5.min.js", "pip install --no-deps mpld3")
JQUERY = ("xstatic.pkg.jquery", "data/jquery.min.js", "pip install --no-deps xstatic-jquery")
_CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^\"']*require[^\"']*[\"'][^>]*>\s*</script>", re.IGNORECASE)
_REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.DOTALL)
# Runs after bertviz has drawn: its model view is a fixed 970 px wide SVG, wider than the page's column (about
# 820 px at 1,280 px), so its last heads were cut off. A viewBox lets the SVG shrink to the frame's width,
# keeping its proportions (and never growing past its drawn size); clicks still map to the right head.
FIT_WIDTH = """document.querySelectorAll('#vis svg').forEach(function (svg) {
  var w = +svg.getAttribute('width'), h = +svg.getAttribute('height');
  if (!w || !h) { return; }
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  svg.removeAttribute('width'); svg.removeAttribute('height');
  svg.style.width = '100%'; svg.style.maxWidth = w + 'px'; svg.style.height = 'auto'; svg.style.display = 'block';
});"""
MODEL_VIEW_WIDTH = 970  # bertviz model_view.js: DIV_WIDTH
SHIM = (
    "window.require = window.requirejs = function (deps, fn) { return fn(window.jQuery, window.d3); };\n"
    "window.require.config = function () {};"
)


class OfflineAssetError(FileNotFoundError):
    """d3 or jQuery is not installed."""


@functools.cache
def _asset(package: str, relpath: str, hint: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise OfflineAssetError(f"{package} is not installed: {hint}")
    path = Path(spec.submodule_search_locations[0]) / relpath
    if not path.is_file():
        raise OfflineAssetError(f"{path} is missing: {hint}")
    return path.read_text(encoding="utf-8")


def _escape_js(code: str) -> str:
    # Only "</script" (or "<!--") can end an inline script early; "<\/" means "</" in JavaScript strings.
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _script(code: str) -> str:
    return f"<script>{_escape_js(code)}</script>"


def make_offline(html: str, *, fit_width: bool = False) -> str:
    """bertviz HTML (`html_action="return"`) → the same page with its libraries inlined; with `fit_width`,
    its SVG then shrinks to the frame's width (`FIT_WIDTH`).

    Raises:
        OfflineAssetError: d3 or jQuery is missing.
        ValueError: the HTML does not look like bertviz's (its layout changed).
    """
    if "requirejs(" not in html:
        raise ValueError("not bertviz HTML: no requirejs(...) call found")
    html = _REQUIRE_CONFIG.sub("", _CDN_SCRIPT.sub("", html), count=1)
    head, sep, code = html.rpartition('<script type="text/javascript">')
    if sep:  # bertviz's own script embeds the tokens (user text) in JSON
        code, end, tail = code.rpartition("</script>")
        html = head + sep + _escape_js(code) + end + tail
    if "cdnjs." in html or "require.config(" in html:
        raise ValueError("bertviz HTML still references a CDN after rewriting")
    libraries = _script(_asset(*D3)) + _script(_asset(*JQUERY)) + _script(SHIM)
    fit = _script(FIT_WIDTH) if fit_width else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{libraries}</head>'
        f'<body style="margin:8px">{html}{fit}</body></html>'
    )


def _layers(weights: np.ndarray) -> list[torch.Tensor]:
    """(L, H, T, T) → bertviz's input: L tensors (1, H, T, T)."""
    return [torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))[None] for w in weights]


def head_view_html(weights: np.ndarray, tokens: list[str], segment_b_start: int | None = None) -> str:
    """bertviz's head view (lines between tokens, one colour per head), offline."""
    from bertviz import head_view

    html = head_view(
        attention=_layers(weights), tokens=list(tokens), sentence_b_start=segment_b_start, html_action="return"
    ).data
    return make_offline(html)


def model_view_html(weights: np.ndarray, tokens: list[str], segment_b_start: int | None = None) -> str:
    """bertviz's model view (a thumbnail per layer and head; click one to zoom), offline."""
    from bertviz import model_view

    html = model_view(
        attention=_layers(weights),
        tokens=list(tokens),
        sentence_b_start=segment_b_start,
        display_mode="light",
        html_action="return",
    ).data
    return make_offline(html, fit_width=True)


def head_view_height(n_tokens: int) -> int:
    return 120 + int(22.5 * n_tokens)


def model_view_height(n_layers: int, n_heads: int, n_tokens: int, *, pair: bool = False) -> int:
    """Pixels the model view needs at its full 970 px width (narrower, it shrinks): bertviz's own layout,
    a row of thumbnails per layer or the enlarged head's token list, whichever is taller, plus the page
    margins and, for a pair, the attention filter above it."""
    box = 7 * 12 / n_heads  # model_view.js: thumbnailBoxHeight
    grid = n_layers * (n_tokens * box + 10) + 38  # thumbnails (with padding) and the axis labels
    detail = n_tokens * 18 + 30 + 25  # the enlarged head: a box per token, padding, heading
    return int(max(grid, detail)) + 16 + (30 if pair else 4)
