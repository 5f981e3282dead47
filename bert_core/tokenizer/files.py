"""A tokenizer folder in Hugging Face layout: `vocab.txt`, `tokenizer.json`, `tokenizer_config.json` and
`special_tokens_map.json` (what `Tokenizer.save_pretrained` writes and `Tokenizer.from_pretrained` reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tokenizers

from ..io import atomic_write, atomic_write_text
from .pipeline import CLS, MASK, PAD, SEP, UNK

__all__ = ["model_max_length", "read_tokenizer_config", "tokenizer_file", "write_tokenizer_files"]


def read_tokenizer_config(path: Path | str) -> dict[str, Any]:
    """The `tokenizer_config.json` beside a tokenizer file, or in a folder ({} when there is none)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if (folder / "tokenizer_config.json").is_file():
        return json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    return {}


def model_max_length(config: dict[str, Any], default: int = 512) -> int:
    """The config's `model_max_length`; `default` when missing or "no limit" (transformers saves that as a
    huge sentinel, int(1e30))."""
    max_len = config.get("model_max_length", default)
    return max_len if isinstance(max_len, int) and 0 < max_len < 1_000_000 else default


def tokenizer_file(path: Path | str) -> Path:
    """The file to load: a folder's `tokenizer.json` (it wins over its `vocab.txt`), or `path` itself.

    Raises:
        FileNotFoundError: a folder with neither file, or a missing file.
    """
    path = Path(path)
    if path.is_dir():
        found = next((p for p in (path / "tokenizer.json", path / "vocab.txt") if p.is_file()), None)
        if found is None:
            raise FileNotFoundError(f"no tokenizer.json or vocab.txt in {path}")
        return found
    if not path.is_file():
        raise FileNotFoundError(f"tokenizer file not found: {path}")
    return path


def write_tokenizer_files(
    out: Path, backend: tokenizers.Tokenizer, vocab: dict[str, int], lowercase: bool, max_length: int
) -> None:
    """Write the four files of a tokenizer folder into `out`, each atomically.

    Raises:
        ValueError: the ids are not exactly `0..len-1` (`vocab.txt` stores an id as a line number).
    """
    by_id = sorted((i, t) for t, i in vocab.items())
    if [i for i, _ in by_id] != list(range(len(by_id))):
        raise ValueError(
            f"ids of the {len(by_id)}-token vocabulary are not 0..{len(by_id) - 1}; cannot write vocab.txt"
        )
    atomic_write_text(out / "vocab.txt", "".join(f"{t}\n" for _, t in by_id))
    atomic_write(out / "tokenizer.json", lambda tmp: backend.save(str(tmp)))
    specials = {"unk_token": UNK, "sep_token": SEP, "pad_token": PAD, "cls_token": CLS, "mask_token": MASK}
    config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": lowercase,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "model_max_length": max_length,
        "clean_up_tokenization_spaces": True,
        **specials,
    }
    atomic_write_text(out / "tokenizer_config.json", json.dumps(config, indent=2) + "\n")
    atomic_write_text(out / "special_tokens_map.json", json.dumps(specials, indent=2) + "\n")
