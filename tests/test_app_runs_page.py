"""AppTest of the runs page with runs of every kind (issue 12, item 4): no "None" cells, a table that fits
1,280 px, and an overlay that offers and draws only runs with a loss curve, each kind on its own chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apptest_helpers import go, running_app
from runs_gallery import make_gallery
from streamlit.testing.v1 import AppTest

from explorer import state
from explorer.runs import table as runs_table

FT = ["ft-qa-tiny-1203-111500", "ft-sentiment-tiny-1203-101500"]  # newest first, as listed


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(monkeypatch, make_gallery(tmp_path / "runs"), tmp_path / "uploads") as at:
        yield at


def test_table_has_no_none_cells_and_one_result_column(app: AppTest) -> None:
    at = go(app, "runs")
    table = at.dataframe[0].value
    assert list(table.columns) == list(runs_table.COLUMNS)
    assert not table.isna().any().any() and "None" not in table.astype(str).to_numpy()
    result = dict(zip(table["name"], table["result"]))
    assert result == {
        "uploaded-model": "—",
        FT[0]: "EM 25.0% / F1 40.0%",
        FT[1]: "accuracy 81.0%",
        "tiny-run": "MLM 4.00 / 10% · NSP 50%",
    }


def test_columns_fit_the_grid_at_1280_px() -> None:
    widths = [c["width"] for c in runs_table.COLUMNS.values()]
    assert all(isinstance(w, int) for w in widths)
    assert sum(widths) <= 815  # the grid is 820 px wide in a 1,280 px window (measured in Chromium)


def test_overlay_offers_only_runs_with_curves_and_draws_each_kind(app: AppTest) -> None:
    at = go(app, "runs")
    overlay = at.multiselect(key=state.RUNS_OVERLAY)
    assert overlay.options == [*FT, "tiny-run"]  # the uploaded model has no loss to draw
    assert overlay.value == [*FT, "tiny-run"]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    drawn = {
        c["layout"]["title"]["text"]: sorted(t["name"] for t in c["data"] if "chance" not in t["name"]) for c in charts
    }
    assert drawn == {"Pretraining: MLM loss": ["tiny-run"], "Fine-tuning: training loss (task head)": sorted(FT)}
    chance = [t["name"] for c in charts for t in c["data"] if "chance" in t["name"]]
    assert chance == ["tiny-run: chance"]  # ln V for the pretraining run only: a fine-tuning loss is the task's
    overlay.set_value([FT[1]]).run()
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 1 and [t["name"] for t in charts[0]["data"]] == [FT[1]]
