"""A live `streamlit run explorer/app.py` on a free localhost port (the load test and the browser tests)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# True in the page when no script runs: no 'running' indicator, and the app root not in state "running".
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !document.querySelector('[data-testid="stStatusWidget"]')
        && (!app || app.getAttribute('data-test-script-state') !== 'running');
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    tmp: Path, *, start_timeout_s: float = 60, address: str = "localhost", **extra_env: str
) -> Iterator[str]:
    """Start the app with runs and uploads under `tmp` (and `extra_env`), offline, listening on `address`;
    yield its localhost URL.

    The server's output goes to `tmp/server.log`. Raises RuntimeError (with that log) when the server
    exits or does not answer its health check within `start_timeout_s`; stops it on exit.
    """
    port = free_port()
    env = dict(
        os.environ,
        BERT_EXPLORER_RUNS=str(tmp / "runs"),
        BERT_EXPLORER_UPLOADS=str(tmp / "uploads"),
        HF_HUB_OFFLINE="1",
        **extra_env,
    )
    with open(tmp / "server.log", "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "explorer/app.py",
                "--server.port",
                str(port),
                "--server.address",
                address,
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + start_timeout_s
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{(tmp / 'server.log').read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
