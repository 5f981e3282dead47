"""Saved runs on disk: list, rename, delete, export to and import from a Hugging Face-layout zip.

Imports are untrusted: the zip is checked entry by entry (no absolute or `..` paths, no pickles,
bounded size and compression ratio), only known model files are extracted, and the result must
load and run a forward pass before it is moved into the runs folder.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import torch

from bert_core.checkpoint import RunDirectory, list_checkpoints, resolve_model_dir
from bert_core.cli.export import EXPORT_FILES

from .run_access import run_info, run_problems, visible_to

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".h5", ".msgpack")
MAX_ZIP_RATIO = 50  # safetensors barely compress; a far higher ratio is a decompression bomb
IMPORTED_STEP = 0


class RunError(ValueError):
    """A run operation was refused; the message is fit to show a user."""


def validate_run_name(name: str) -> str:
    """The stripped name, if it is a safe folder name (letters, digits, `.`, `_`, `-`; no `/` or `..`).

    Raises:
        RunError: otherwise.
    """
    name = name.strip()
    if not NAME_RE.match(name) or ".." in name:
        raise RunError(
            f"{name!r} is not a valid run name: use 1–64 letters, digits, '.', '_' or '-' "
            "(no '/', no '..', not starting with '.')"
        )
    return name


@dataclass
class RunSummary:
    """What the runs page shows about one run folder."""

    name: str
    path: Path
    status: str
    steps: int
    corpus: str
    model: str
    created_at: float | None
    final: dict[str, float] = field(default_factory=dict)  # last step's training metrics
    final_eval: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # why it is damaged (explorer.run_access.run_problems)

    @property
    def owner(self) -> str | None:
        """The owner id of the session that made the run, or None (CLI runs, runs from before owners
        were recorded)."""
        return self.info.get("owner") or None

    @property
    def damaged(self) -> str | None:
        """Why the run is damaged ("; "-separated), or None."""
        return "; ".join(self.problems) or None

    @property
    def published(self) -> bool:
        return bool(self.info.get("published"))

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created_at)) if self.created_at else "—"


def summarize(path: Path) -> RunSummary | None:
    """A summary of a run folder, or None if it holds no checkpoint."""
    checkpoints = list_checkpoints(path)
    if not checkpoints:
        return None
    info = run_info(path)
    model = info.get("model", {})
    model_text = (
        f"{model.get('layers')}×{model.get('hidden')}, {model.get('heads')} heads"
        if model
        else info.get("description", "—")
    )
    last = step_metrics(path)[-1:] or [info.get("final_metrics", {})]
    problems = run_problems(path, info, checkpoints[-1])
    return RunSummary(
        name=path.name,
        path=path,
        status="damaged" if problems else info.get("status", "saved"),
        steps=int(info.get("steps", _checkpoint_step(checkpoints[-1]))),
        corpus=info.get("corpus_label") or info.get("corpus") or info.get("data", "—"),
        model=model_text,
        created_at=info.get("created_at") or checkpoints[-1].stat().st_mtime,
        final=dict(last[0]),
        final_eval=dict(info.get("final_eval") or {}),
        info=info,
        problems=problems,
    )


WRITING = ("queued", "preparing", "running", "stopping")  # run.json statuses of a job still at work


def shown_status(run: RunSummary, training: set[Path]) -> str:
    """The status to show: "training" while a job of this server writes the run; "interrupted" when
    run.json says a job was at work but none is (the server was killed or restarted mid-run)."""
    if run.path in training:
        return "training"
    return "interrupted" if run.status in WRITING else run.status


def dev_result(run: RunSummary) -> str:
    """A fine-tuning run's final dev score in words ("" for other runs)."""
    final = run.final_eval
    if run.info.get("kind") != "finetuning" or not final:
        return ""
    if "accuracy" in final:
        return f"accuracy {100 * final['accuracy']:.1f}%"
    return f"EM {100 * final.get('exact_match', 0.0):.1f}% / F1 {100 * final.get('f1', 0.0):.1f}%"


def _checkpoint_step(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[-1])


def list_runs(root: Path) -> list[RunSummary]:
    """Every run under `root` with at least one checkpoint, newest first."""
    if not root.is_dir():
        return []
    found = [s for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (s := summarize(p))]
    return sorted(found, key=lambda s: s.created_at or 0, reverse=True)


def visible_runs(root: Path, owner: str, teacher: bool = False) -> list[RunSummary]:
    """`list_runs` restricted to what the session with owner id `owner` may see (see `visible_to`)."""
    return [r for r in list_runs(root) if visible_to(r.info, owner, teacher)]


def set_published(root: Path, name: str, published: bool) -> None:
    """Show run `name` to every session (or only to its owner again).

    Raises:
        RunError: a bad name or a missing run.
    """
    path = _child(root, name)
    if not path.is_dir():
        raise RunError(f"no run named {name!r}")
    RunDirectory(path).update_info(published=published)


def step_metrics(path: Path) -> list[dict[str, float]]:
    """Per-step training records of a run (held-out records left out)."""
    return [r for r in RunDirectory(path).read_metrics() if "eval" not in r]


def mlm_chance(run: RunSummary) -> float | None:
    """ln V, the MLM loss of guessing uniformly over the run's V word pieces; None when V is unknown.

    V comes from run.json (`vocab_size`, written by pretraining runs since it was added), else from
    the run's model config. None for fine-tuning runs: their loss is the task's, not a guess over V.
    """
    if run.info.get("kind") == "finetuning":
        return None
    vocab = run.info.get("vocab_size")
    if not vocab:
        try:
            config = json.loads((resolve_model_dir(run.path) / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        vocab = config.get("vocab_size") if isinstance(config, dict) else None
    return math.log(vocab) if isinstance(vocab, int) and vocab > 1 else None


def _child(root: Path, name: str) -> Path:
    path = (root / validate_run_name(name)).resolve()
    if path.parent != root.resolve():
        raise RunError(f"{name!r} is outside the runs folder")
    return path


def rename_run(root: Path, old: str, new: str) -> Path:
    """Rename run `old` to `new`.

    Raises:
        RunError: a bad name, a missing source or an existing target.
    """
    source, target = _child(root, old), _child(root, new)
    if not source.is_dir():
        raise RunError(f"no run named {old!r}")
    if target.exists():
        raise RunError(f"a run named {new!r} already exists")
    source.rename(target)
    RunDirectory(target).update_info(name=target.name)
    return target


def delete_run(root: Path, name: str) -> None:
    """Delete run `name` and everything in it.

    Raises:
        RunError: a bad name or a missing run.
    """
    path = _child(root, name)
    if not path.is_dir():
        raise RunError(f"no run named {name!r}")
    trash = path.with_name(f".deleting-{path.name}-{time.time_ns()}")
    path.rename(trash)  # atomic: the run vanishes from listings at once, even if rmtree is slow
    shutil.rmtree(trash, ignore_errors=True)


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
    target = _child(root, name)
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
