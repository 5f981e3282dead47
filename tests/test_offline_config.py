"""Offline settings that need no browser (docs/offline.md): the page icon and the server config."""

from __future__ import annotations

import ast
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_page_icon_is_not_a_material_icon() -> None:
    """Streamlit fetches a `:material/…:` page icon from fonts.gstatic.com as the favicon."""
    tree = ast.parse((ROOT / "explorer" / "app.py").read_text())
    icons = [
        kw.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "set_page_config"
        for kw in node.keywords
        if kw.arg == "page_icon"
    ]
    assert len(icons) == 1 and isinstance(icons[0], ast.Constant), "set_page_config needs a literal page_icon"
    icon = icons[0].value
    assert not icon.startswith(":material/") and "://" not in icon, icon


def test_server_config_sends_nothing_out() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["theme"].get("font", "sans serif") in ("sans serif", "serif", "monospace")
    assert "http" not in str(config.get("theme", {}))
