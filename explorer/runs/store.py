"""Saved runs on disk: list, summarize, publish, rename and delete (zip export and import: `explorer.runs.zips`)."""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bert_core.checkpoint import RunDirectory, list_checkpoints, resolve_model_dir
from explorer.runs.access import run_info, run_problems, visible_to

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
    problems: list[str] = field(default_factory=list)  # why it is damaged (explorer.runs.access.run_problems)

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
    path = child_path(root, name)
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


def child_path(root: Path, name: str) -> Path:
    """`root/name` for a valid run name that stays inside `root`, resolved.

    Raises:
        RunError: a bad name, or one that leads outside `root`.
    """
    path = (root / validate_run_name(name)).resolve()
    if path.parent != root.resolve():
        raise RunError(f"{name!r} is outside the runs folder")
    return path


def rename_run(root: Path, old: str, new: str) -> Path:
    """Rename run `old` to `new`.

    Raises:
        RunError: a bad name, a missing source or an existing target.
    """
    source, target = child_path(root, old), child_path(root, new)
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
    path = child_path(root, name)
    if not path.is_dir():
        raise RunError(f"no run named {name!r}")
    trash = path.with_name(f".deleting-{path.name}-{time.time_ns()}")
    path.rename(trash)  # atomic: the run vanishes from listings at once, even if rmtree is slow
    shutil.rmtree(trash, ignore_errors=True)
