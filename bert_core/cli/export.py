"""`python -m bert_core export`: a run's latest model files as a directory or zip."""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

from ..checkpoint import resolve_model_dir

EXPORT_FILES = (
    "config.json",
    "model.safetensors",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a run's latest weights as a Hugging Face model directory or zip",
        description="Copy the model files of a run's latest checkpoint (no optimizer state) "
        "into a directory, or a .zip, loadable by transformers' from_pretrained.",
    )
    p.add_argument("run", help="run directory or model directory")
    p.add_argument("--out", required=True, help="target directory, or a path ending in .zip")


def run(ns: argparse.Namespace) -> int:
    source = resolve_model_dir(ns.run)
    files = [source / name for name in EXPORT_FILES if (source / name).is_file()]
    out = Path(ns.out)
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, arcname=file.name)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copy2(file, out / file.name)
    print(f"exported {', '.join(f.name for f in files)} from {source} to {out}")
    return 0
