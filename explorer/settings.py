"""Server-wide settings, read from environment variables (one place, so a classroom server can tune them)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def runs_dir() -> Path:
    """Where runs are saved: `$BERT_EXPLORER_RUNS`, default `./runs`."""
    return Path(os.environ.get("BERT_EXPLORER_RUNS", "runs")).resolve()


def uploads_dir() -> Path:
    """Root of the per-session upload folders: `$BERT_EXPLORER_UPLOADS`, default a temp folder."""
    default = Path(tempfile.gettempdir()) / "bert_explorer_uploads"
    return Path(os.environ.get("BERT_EXPLORER_UPLOADS", default)).resolve()


def max_jobs() -> int:
    """Training jobs allowed at once in this server process: `$BERT_EXPLORER_MAX_JOBS`, default 1 on CPU."""
    value = os.environ.get("BERT_EXPLORER_MAX_JOBS")
    if value:
        return max(1, int(value))
    return 2 if torch.cuda.is_available() else 1


MAX_UPLOAD_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml
MAX_MODEL_ZIP_BYTES = 2 * 2**30  # uncompressed size of an uploaded model zip

