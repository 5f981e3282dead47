"""Run directories: atomic checkpoints in Hugging Face layout, run metadata and a metrics log.

```
runs/NAME/
    run.json                 what was trained, on what, when, with which seed (JSON)
    metrics.jsonl            one JSON object per logged step
    checkpoint-500/          a complete Hugging Face model directory:
        config.json  model.safetensors  vocab.txt  tokenizer.json  tokenizer_config.json
        trainer_state.json   step, arguments, optimizer hyper-parameters (JSON)
        optimizer.safetensors  AdamW moments
    checkpoint-1000/
```
A checkpoint is written into a hidden temporary directory and renamed into place, so a crash
(even SIGKILL) mid-write leaves the previous checkpoints untouched. Nothing here unpickles.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Protocol

from safetensors.torch import load_file, save_file
from torch import Tensor

from .io import atomic_write_json, atomic_write_text

CHECKPOINT_PREFIX = "checkpoint-"
TRAINER_STATE = "trainer_state.json"
OPTIMIZER_WEIGHTS = "optimizer.safetensors"


class Saveable(Protocol):
    def save_pretrained(self, path: str | Path) -> None: ...


def _step_of(path: Path) -> int:
    try:
        return int(path.name[len(CHECKPOINT_PREFIX) :])
    except ValueError:
        return -1


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoint directories of a run, oldest first."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    found = [
        p
        for p in run_dir.iterdir()
        if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX) and _step_of(p) >= 0 and (p / "config.json").is_file()
    ]
    return sorted(found, key=_step_of)


def resolve_model_dir(path: str | Path) -> Path:
    """A model directory: `path` itself if it holds `config.json`, else the run's latest checkpoint.

    Raises:
        FileNotFoundError: when `path` is neither.
    """
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    checkpoints = list_checkpoints(path)
    if checkpoints:
        return checkpoints[-1]
    raise FileNotFoundError(f"{path} is neither a model directory (no config.json) nor a run with checkpoints")


def optimizer_state_to_tensors(state: dict[str, Any]) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split `optimizer.state_dict()` into safetensors-ready tensors and JSON-ready primitives."""
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entries in state["state"].items():
        for name, value in entries.items():
            if isinstance(value, Tensor):
                tensors[f"state.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_state_from_tensors(tensors: dict[str, Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `optimizer_state_to_tensors`."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    for index, entries in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(entries)
    return {"state": state, "param_groups": meta["param_groups"]}


class RunDirectory:
    """One training run on disk. See the module docstring for the layout."""

    def __init__(self, path: str | Path, *, keep_last: int = 2) -> None:
        if keep_last < 1:
            raise ValueError(f"keep_last must be at least 1, got {keep_last}")
        self.path = Path(path)
        self.keep_last = keep_last

    # ---------------------------------------------------------------- checkpoints
    def checkpoints(self) -> list[Path]:
        return list_checkpoints(self.path)

    def latest_checkpoint(self) -> Path | None:
        found = self.checkpoints()
        return found[-1] if found else None

    def save_checkpoint(
        self,
        step: int,
        model: Saveable,
        tokenizer: Saveable | None = None,
        trainer_state: dict[str, Any] | None = None,
        optimizer_state: dict[str, Any] | None = None,
    ) -> Path:
        """Write `checkpoint-{step}` atomically and prune all but the newest `keep_last`."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        final = self.path / f"{CHECKPOINT_PREFIX}{step}"
        tmp = self.path / f".{final.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            model.save_pretrained(tmp)
            if tokenizer is not None:
                tokenizer.save_pretrained(tmp)
            state = dict(trainer_state or {}, step=step, saved_at=time.time())
            if optimizer_state is not None:
                tensors, meta = optimizer_state_to_tensors(optimizer_state)
                save_file(tensors, str(tmp / OPTIMIZER_WEIGHTS))
                state["optimizer"] = meta
            atomic_write_json(tmp / TRAINER_STATE, state)
            _fsync_tree(tmp)
        except BaseException:  # a full disk, a kill: give the space back; the older checkpoints are untouched
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if final.exists():  # re-saving a step (e.g. resumed and stopped at once): swap, then drop the old one
            trash = self.path / f".{final.name}.old-{os.getpid()}"
            os.rename(final, trash)
            os.rename(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(tmp, final)
        for old in self.checkpoints()[: -self.keep_last]:
            # Rename first (atomic), then delete: a crash mid-delete must not leave a half-empty
            # directory that still looks like a checkpoint.
            doomed = self.path / f".{old.name}.old-{os.getpid()}"
            os.rename(old, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        return final

    def _remove_stale_temporaries(self) -> None:
        for leftover in self.path.glob(f".{CHECKPOINT_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)

    @staticmethod
    def load_trainer_state(checkpoint: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(trainer state, optimizer state dict or None) of a checkpoint directory."""
        checkpoint = Path(checkpoint)
        state = json.loads((checkpoint / TRAINER_STATE).read_text(encoding="utf-8"))
        meta = state.pop("optimizer", None)
        if meta is None or not (checkpoint / OPTIMIZER_WEIGHTS).is_file():
            return state, None
        return state, optimizer_state_from_tensors(load_file(str(checkpoint / OPTIMIZER_WEIGHTS)), meta)

    # ---------------------------------------------------------------- run.json and metrics.jsonl
    def read_info(self) -> dict[str, Any]:
        path = self.path / "run.json"
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def update_info(self, **fields: Any) -> dict[str, Any]:
        """Merge `fields` into run.json (atomically) and return the result."""
        info = {**self.read_info(), **fields, "updated_at": time.time()}
        atomic_write_json(self.path / "run.json", info)
        return info

    def append_metrics(self, metrics: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(metrics) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every logged record; a torn last line (crash mid-write) is skipped."""
        path = self.path / "metrics.jsonl"
        if not path.is_file():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def truncate_metrics(self, after_step: int) -> None:
        """Drop records past `after_step`: on resume they would otherwise be logged twice."""
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= after_step]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        atomic_write_text(self.path / "metrics.jsonl", text)


def _fsync_tree(path: Path) -> None:
    for file in path.iterdir():
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
