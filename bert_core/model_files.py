"""A cheap health check of a model folder, before anything tries to load it.

Reads `config.json` in full and only the header of `model.safetensors`, so a listing of many runs stays
fast; what it reports is what would make loading fail (a truncated or corrupt weights file, an invalid
config, no vocabulary).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from .config import BertConfig

MAX_HEADER = 100 * 2**20  # safetensors' own limit on the JSON header


def model_dir_problems(path: str | Path) -> list[str]:
    """Why the model folder `path` would not load, one short reason each ([] when it looks whole)."""
    path = Path(path)
    problems = []
    try:
        BertConfig.from_json(path / "config.json")
    except FileNotFoundError:
        problems.append("config.json is missing")
    except (OSError, ValueError, TypeError, KeyError) as exc:  # bad JSON, unknown or invalid fields
        problems.append(f"config.json is invalid ({str(exc)[:120]})")
    if not (path / "vocab.txt").is_file() and not (path / "tokenizer.json").is_file():
        problems.append("the vocabulary (vocab.txt or tokenizer.json) is missing")
    weights = safetensors_problem(path / "model.safetensors")
    if weights:
        problems.append(weights)
    return problems


def safetensors_problem(file: Path) -> str | None:
    """None if `file`'s header is valid JSON and its tensors end exactly at the end of the file."""
    try:
        size = file.stat().st_size
        with open(file, "rb") as handle:
            raw = handle.read(8)
            if len(raw) < 8:
                return f"{file.name} is cut short ({size} bytes)"
            (length,) = struct.unpack("<Q", raw)
            if length > min(MAX_HEADER, size - 8):
                return f"{file.name} is cut short or corrupt (header of {length:,} bytes in a {size:,}-byte file)"
            header = json.loads(handle.read(length))
    except FileNotFoundError:
        return f"{file.name} is missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{file.name} has a corrupt header ({type(exc).__name__})"
    ends = [
        entry["data_offsets"][1]
        for name, entry in header.items()
        if name != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets", ())) == 2
    ]
    if len(ends) != len([n for n in header if n != "__metadata__"]):
        return f"{file.name} has a corrupt header (a tensor without data offsets)"
    expected = 8 + length + max(ends, default=0)
    if expected != size:
        return (
            f"{file.name} is cut short ({size:,} of {expected:,} bytes)"
            if size < expected
            else f"{file.name} has {size - expected:,} unexpected bytes at its end"
        )
    return None
