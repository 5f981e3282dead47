"""Server-wide settings: environment variables and the classroom limits of classroom.toml (one place)."""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import tomllib
import torch


def configure_threads() -> int:
    """Torch intra-op threads for the server: all cores but one, unless OMP_NUM_THREADS says otherwise.

    Training runs in a thread of the server process; the core left over keeps pages responsive. On a
    2-core machine this means one thread, which also avoids OpenMP threads spinning against the UI
    thread and other processes (measured on a busy 2-core box: 1.4 s per `mini` step instead of 4.5 s).
    """
    if "OMP_NUM_THREADS" not in os.environ:
        threads = max(1, (os.cpu_count() or 2) - 1)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return torch.get_num_threads()


def runs_dir() -> Path:
    """Where runs are saved: `$BERT_EXPLORER_RUNS`, default `./runs`."""
    return Path(os.environ.get("BERT_EXPLORER_RUNS", "runs")).resolve()


def uploads_dir() -> Path:
    """Root of the per-session upload folders: `$BERT_EXPLORER_UPLOADS`, default a temp folder."""
    default = Path(tempfile.gettempdir()) / "bert_explorer_uploads"
    return Path(os.environ.get("BERT_EXPLORER_UPLOADS", default)).resolve()


def hide_server_paths(text: str) -> str:
    """`text` (an error message) with the server's folders shown as `runs/…`, `uploads/…` and `app/…`
    instead of absolute paths, which tell a student nothing and an attacker too much."""
    for label, folder in (("runs", runs_dir()), ("uploads", uploads_dir()), ("app", ROOT)):
        text = text.replace(str(folder), label)
    return text


def max_jobs() -> int:
    """Training jobs allowed at once: `$BERT_EXPLORER_MAX_JOBS`, else classroom.toml, else 1 on CPU (2 with CUDA)."""
    value = os.environ.get("BERT_EXPLORER_MAX_JOBS")
    if value:
        return max(1, int(value))
    configured = classroom().max_jobs
    return configured if configured > 0 else (2 if torch.cuda.is_available() else 1)


MAX_UPLOAD_MB = 200  # the server's hard limit: keep equal to server.maxUploadSize in .streamlit/config.toml
MAX_MODEL_ZIP_BYTES = 2 * 2**30  # uncompressed size of an uploaded model zip
TEACHER_PASSWORD_ENV = "BERT_EXPLORER_TEACHER_PASSWORD"
CLASSROOM_ENV = "BERT_EXPLORER_CLASSROOM"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Classroom:
    """Limits for a shared server, from classroom.toml (every key optional; see docs/README_classroom.md)."""

    max_jobs: int = 0  # training jobs at once (0: 1 on CPU, 2 with CUDA); more wait in a queue
    max_queue: int = 100  # jobs allowed to wait
    max_steps: int = 100_000  # per run
    max_layers: int = 12  # model size of a run trained here
    max_hidden: int = 768
    max_batch_size: int = 512
    max_seq_length: int = 512
    max_upload_mb: int = MAX_UPLOAD_MB  # per upload; cannot exceed the server's MAX_UPLOAD_MB
    session_in_url: bool = True  # keep the session id in the URL (?sid=) so a reload finds its run

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, int) and not isinstance(value, bool) and value < (0 if name == "max_jobs" else 1):
                raise ValueError(f"classroom setting {name} must be positive, got {value}")


def classroom_path() -> Path:
    """`$BERT_EXPLORER_CLASSROOM`, default classroom.toml at the project root."""
    return Path(os.environ.get(CLASSROOM_ENV, ROOT / "classroom.toml"))


def classroom() -> Classroom:
    """The classroom limits (defaults when the file is missing); re-read when the file changes.

    Raises:
        ValueError: the file exists but is not valid TOML or holds an unknown or bad setting.
    """
    path = classroom_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return Classroom()
    return _read_classroom(str(path), mtime)


@functools.lru_cache(maxsize=4)
def _read_classroom(path: str, mtime: float) -> Classroom:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    values = data.get("classroom", data)
    known = {f.name for f in fields(Classroom)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {unknown}; known: {sorted(known)}")
    limits = Classroom(**values)
    return replace(limits, max_upload_mb=min(limits.max_upload_mb, MAX_UPLOAD_MB))


def max_upload_bytes() -> int:
    return classroom().max_upload_mb * 2**20


def teacher_password() -> str | None:
    """The teacher role's password (`$BERT_EXPLORER_TEACHER_PASSWORD`); None: no teacher role."""
    return os.environ.get(TEACHER_PASSWORD_ENV) or None
