"""The app's pages, defined once: `app.py` navigates over them and pages link to each other with them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
# name → (file, title, icon); the order is the sidebar's.
PAGES = {
    "home": ("home.py", "Home", ":material/home:"),
    "pretrain": ("pretrain.py", "Pretrain", ":material/model_training:"),
    "tokenizer": ("tokenizer.py", "Tokenizer", ":material/text_fields:"),
    "fill_mask": ("fill_mask.py", "Fill in the blank", ":material/edit_note:"),
    "attention": ("attention.py", "Attention", ":material/grid_on:"),
    "embeddings": ("embeddings.py", "Embeddings", ":material/scatter_plot:"),
    "finetune": ("finetune.py", "Fine-tune", ":material/tune:"),
    "runs": ("runs.py", "Runs", ":material/folder_open:"),
}


def page(name: str) -> st.Page:
    file, title, icon = PAGES[name]
    return st.Page(PAGES_DIR / file, title=title, icon=icon, default=name == "home")


def all_pages() -> list[st.Page]:
    return [page(name) for name in PAGES]
