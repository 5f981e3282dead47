"""Classroom aids without a browser: presenter fonts, chart help texts, the join hint's address logic and QR."""

from __future__ import annotations

import ast
from pathlib import Path

import plotly.graph_objects as go
import pytest

from explorer.charts import help as chart_help
from explorer.charts import training as charts
from explorer.classroom.join_hint import is_loopback, qr_png, qr_svg, student_url
from explorer.ui.presenter import presenter_figure

ROOT = Path(__file__).resolve().parent.parent


def test_presenter_figure_scales_every_font_and_keeps_the_original() -> None:
    fig = charts.mlm_figure([{"step": 1, "mlm_loss": 9.0, "mlm_acc": 0.1}], 30522)
    before = fig.to_plotly_json()
    big = presenter_figure(fig, scale=2.0, dark_theme=True, height=500)
    assert fig.to_plotly_json() == before
    assert big.layout.title.font.size == 2 * fig.layout.title.font.size
    assert big.layout.font.size == 24  # plotly's default 12, doubled
    assert big.layout.annotations[0].font.size == 2 * fig.layout.annotations[0].font.size
    assert big.layout.height == 500 and big.layout.template.layout.paper_bgcolor is not None
    assert presenter_figure(fig).layout.height == round(1.4 * fig.layout.height)  # room for the larger text
    assert big.layout.xaxis.tickfont.size == 24 and big.layout.legend.font.size == 24


def test_heatmap_labels_scale() -> None:
    fig = go.Figure(go.Heatmap(z=[[1, 2]], texttemplate="%{z}", textfont={"size": 9}))
    assert presenter_figure(fig, scale=1.5).data[0].textfont.size == 13.5


def _about_ids() -> set[str]:
    """Every `about="…"` passed to show_chart, and every chart_grid id, in pages/ and explorer/."""
    found = set()
    for path in [*ROOT.glob("pages/*.py"), *(ROOT / "explorer").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "about":
                found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and c.value}
            if (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 2
                and isinstance(node.elts[0], ast.Constant)
                and node.elts[0].value in chart_help.HELP
            ):
                found.add(node.elts[0].value)
    return found


def test_every_chart_has_help_and_every_help_is_used() -> None:
    used = _about_ids()
    assert used <= set(chart_help.HELP)
    assert set(chart_help.HELP) - used <= {"macro_f1"}  # a metric's help, not a chart's
    assert 'chart_help.text("macro_f1")' in (ROOT / "explorer" / "finetune" / "views.py").read_text()
    for text in chart_help.HELP.values():
        assert 1 <= text.count(". ") + 1 <= 3 and len(text) < 300


def test_no_page_draws_a_plotly_chart_directly() -> None:
    for path in ROOT.glob("pages/*.py"):
        assert "plotly_chart(" not in path.read_text(), path.name


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1", "[::1]", "127.0.1.1", "LOCALHOST"])
def test_no_hint_on_loopback(address: str) -> None:
    assert is_loopback(address) and student_url(address, 8501, "192.168.1.20") is None


def test_hint_url_for_the_classroom_network() -> None:
    assert student_url("0.0.0.0", 8501, "192.168.1.20") == "http://192.168.1.20:8501/"
    assert student_url(None, 8501, "10.0.0.5") == "http://10.0.0.5:8501/"  # unset: every interface
    assert student_url("", 8502, "10.0.0.5", "/bert/") == "http://10.0.0.5:8502/bert/"
    assert student_url("192.168.1.7", 8501, None) == "http://192.168.1.7:8501/"
    assert student_url("fe80::1", 8501, None) == "http://[fe80::1]:8501/"
    assert student_url("0.0.0.0", 8501, None) is None and student_url("0.0.0.0", 8501, "127.0.0.1") is None


def test_qr_code_is_drawn_locally() -> None:
    url = "http://192.168.1.20:8501/"
    assert qr_png(url).startswith(b"\x89PNG")
    svg = qr_svg(url)
    assert svg.startswith("<svg") and "href" not in svg and "<script" not in svg
    assert [u for u in svg.split('"') if u.startswith("http")] == ["http://www.w3.org/2000/svg"]  # a namespace
