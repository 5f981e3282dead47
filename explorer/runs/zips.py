"""Runs as Hugging Face-layout zips: export a run's model files, import an uploaded model.

Imports are untrusted: the zip is checked entry by entry (no absolute or `..` paths, no pickles,
bounded size and compression ratio), only known model files are extracted, and the result must
load and run a forward pass before it is moved into the runs folder.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

import torch

from bert_core.checkpoint import RunDirectory, resolve_model_dir
from bert_core.cli.export import EXPORT_FILES
from explorer.runs.store import RunError, RunSummary, child_path, summarize

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".h5", ".msgpack")
MAX_ZIP_RATIO = 50  # safetensors barely compress; a far higher ratio is a decompression bomb
IMPORTED_STEP = 0


def export_zip(path: Path) -> bytes:
    """The latest checkpoint's model files (no optimizer state) as a zip, loadable by `transformers`."""
    source = resolve_model_dir(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in EXPORT_FILES:
            if (source / name).is_file():
                archive.write(source / name, arcname=name)
    return buffer.getvalue()


def _model_files(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Check every entry and map each known model file name to its entry.

    A zip may hold the files at its top level or inside one folder (as `zip -r model.zip model/` makes).
    """
    found: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        raw = info.filename
        path = PurePosixPath(raw.replace("\\", "/"))
        if raw.startswith(("/", "\\")) or ".." in path.parts or re.match(r"[A-Za-z]:", raw):
            raise RunError(f"the zip has an unsafe entry path {raw!r}")
        if info.is_dir() or any(p.startswith(("__MACOSX", ".")) for p in path.parts):
            continue
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise RunError(
                f"the zip holds {raw!r}: pickled weights are never loaded here; convert them to model.safetensors"
            )
        total += info.file_size
        if total > max_bytes:
            raise RunError(f"the zip expands to more than {max_bytes:,} bytes")
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise RunError(
                f"{raw!r} expands {info.file_size / max(info.compress_size, 1):.0f}x; refusing a possible zip bomb"
            )
        if path.name in EXPORT_FILES and len(path.parts) <= 2:
            if path.name in found:
                raise RunError(f"the zip holds {path.name} twice")
            found[path.name] = info
    missing = [n for n in ("config.json", "model.safetensors") if n not in found]
    if missing:
        raise RunError(
            f"the zip lacks {', '.join(missing)} (a Hugging Face model folder has config.json and model.safetensors)"
        )
    if "vocab.txt" not in found and "tokenizer.json" not in found:
        raise RunError("the zip lacks a vocabulary (vocab.txt or tokenizer.json)")
    return found


def _extract(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], target: Path, max_bytes: int) -> None:
    written = 0
    for name, info in files.items():
        with archive.open(info) as src, open(target / name, "wb") as dst:
            while chunk := src.read(1 << 20):  # count real bytes: declared sizes can lie
                written += len(chunk)
                if written > max_bytes:
                    raise RunError(f"the zip expands to more than {max_bytes:,} bytes")
                dst.write(chunk)


def load_test(model_dir: Path) -> str:
    """Load the model and tokenizer and run one forward pass; returns a one-line description.

    Raises:
        RunError: anything fails, with the reason.
    """
    from bert_core.model import BertForPreTraining
    from bert_core.tokenizer import Tokenizer

    try:
        model = BertForPreTraining.from_pretrained(model_dir).eval()
        tokenizer = Tokenizer.from_pretrained(model_dir)
        if tokenizer.vocab_size > model.config.vocab_size:
            raise ValueError(
                f"the vocabulary ({tokenizer.vocab_size}) is larger than the model's "
                f"embedding table ({model.config.vocab_size})"
            )
        enc = tokenizer.encode("The cat sat on the [MASK].")
        with torch.inference_mode():
            out = model(torch.tensor([enc.input_ids]))
        if not bool(torch.isfinite(out.prediction_logits).all()):
            raise ValueError("the model outputs NaN or infinite values")
    except RunError:
        raise
    except Exception as exc:  # noqa: BLE001 (any failure means "not a usable model"; the message says why)
        raise RunError(f"the uploaded model does not load: {exc}") from None
    c = model.config
    return f"{c.num_hidden_layers} layers × {c.hidden_size} hidden, vocabulary {tokenizer.vocab_size:,}"


def import_zip(
    root: Path, name: str, data: bytes, *, max_bytes: int = 2 * 2**30, owner: str | None = None
) -> RunSummary:
    """Validate a Hugging Face-layout zip, load-test it, and add it as run `name` (one checkpoint).

    Raises:
        RunError: a bad name, a taken name, or a zip that fails any check.
    """
    target = child_path(root, name)
    if target.exists():
        raise RunError(f"a run named {name!r} already exists")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RunError("the upload is not a valid zip file") from None
    root.mkdir(parents=True, exist_ok=True)
    with archive, tempfile.TemporaryDirectory(dir=root, prefix=".import-") as tmp:
        files = _model_files(archive, max_bytes)
        checkpoint = Path(tmp) / name / f"checkpoint-{IMPORTED_STEP}"
        checkpoint.mkdir(parents=True)
        try:
            _extract(archive, files, checkpoint, max_bytes)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
            raise RunError(f"the zip cannot be read: {exc}") from None
        description = load_test(checkpoint)
        RunDirectory(checkpoint.parent).update_info(
            kind="imported",
            name=name,
            created_at=time.time(),
            status="imported",
            steps=IMPORTED_STEP,
            description=description,
            owner=owner,
        )
        (Path(tmp) / name).rename(target)
    summary = summarize(target)
    assert summary is not None
    return summary
