"""Who may see and manage a saved run, read from its run.json, failing closed.

A run's `owner` is a public owner id (explorer.classroom.identity), never a session token. A run.json that
cannot be read, or whose owner is not an owner id, marks the run *damaged*: only the teacher sees it,
with the reason, instead of it turning public as an empty file would.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from bert_core.checkpoint import RunDirectory
from bert_core.model_files import model_dir_problems
from explorer import settings
from explorer.classroom import identity

DAMAGED = "_damaged"  # in-memory key of run_info(): why run.json could not be trusted (never written)
log = logging.getLogger("bert_explorer.security")


def run_info(path: Path) -> dict[str, Any]:
    """run.json of run folder `path` ({} when there is none: a CLI run).

    A legacy run.json holding a session token as its owner is rewritten with the owner id (and the
    token scrubbed from its upload paths) the first time it is read. An unreadable file, or an owner
    that is neither missing nor an owner id, gives `{DAMAGED: reason}` (plus whatever could be read).
    """
    file = path / "run.json"
    if not file.is_file():
        return {}
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {DAMAGED: f"run.json is unreadable ({type(exc).__name__})"}
    if not isinstance(info, dict):
        return {DAMAGED: "run.json does not hold a JSON object"}
    scrubbed = identity.scrub_legacy_owner(info)
    if scrubbed is not None:
        try:
            RunDirectory(path).update_info(**scrubbed)
        except OSError as exc:  # read-only runs folder: use the scrubbed copy, try again next time
            log.warning("could not rewrite the legacy owner of %s: %s", path.name, exc)
        info = scrubbed
    owner = info.get("owner")
    if owner is not None and not identity.is_owner_id(owner):
        return {**info, DAMAGED: "run.json names an owner this server cannot read"}
    return info


def run_problems(path: Path, info: dict[str, Any], checkpoint: Path) -> list[str]:
    """Why run `path` (its `run_info`, its newest `checkpoint`) is damaged, one reason each ([]: whole)."""
    problems = [info[DAMAGED]] if info.get(DAMAGED) else []
    problems += [f"{checkpoint.name}: {p}" for p in model_dir_problems(checkpoint)]
    if metrics_torn(path / "metrics.jsonl"):
        problems.append("metrics.jsonl ends in a torn line (it is skipped)")
    return problems


def metrics_torn(file: Path) -> bool:
    """True when the last line of a JSON Lines log is not a whole JSON object (a crash mid-write)."""
    try:
        with open(file, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - 65536))
            tail = handle.read().decode("utf-8", errors="replace").rstrip("\n").rsplit("\n", 1)[-1]
    except FileNotFoundError:
        return False
    if not tail.strip():
        return False
    try:
        return not isinstance(json.loads(tail), dict)
    except json.JSONDecodeError:
        return True


def visible_to(info: dict[str, Any], owner: str, teacher: bool = False) -> bool:
    """Whether a run (its `run_info`) shows to the session whose owner id is `owner`: its own runs,
    published ones and runs with no owner (CLI runs); the teacher sees all; a damaged run only the teacher."""
    if teacher:
        return True
    if info.get(DAMAGED):
        return False
    run_owner = info.get("owner")
    return not run_owner or run_owner == owner or bool(info.get("published"))


def can_manage(info: dict[str, Any], owner: str, teacher: bool = False, *, shared_server: bool = False) -> bool:
    """Rename, delete or publish a run (its `run_info`): the owner or the teacher; a run with no owner by
    anyone on a single-user server (`shared_server` False: no teacher password set); a damaged run only
    by the teacher."""
    if teacher:
        return True
    if info.get(DAMAGED):
        return False
    run_owner = info.get("owner")
    return run_owner == owner if run_owner else not shared_server


def public_info(info: dict[str, Any], viewer: str) -> dict[str, Any]:
    """run.json as a browser may see it: the owner as "you" / "another session" and absolute server
    paths shown relative to the runs, uploads or app folder (`uploads/…/x.txt`)."""

    def show(value: Any) -> Any:
        if isinstance(value, str):
            return settings.hide_server_paths(value)
        if isinstance(value, list):
            return [show(v) for v in value]
        if isinstance(value, dict):
            return {k: show(v) for k, v in value.items()}
        return value

    shown = {k: show(v) for k, v in info.items() if k not in ("owner", DAMAGED)}
    if info.get("owner"):
        shown["owner"] = "you" if info["owner"] == viewer else "another session"
    return shown
