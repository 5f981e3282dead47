"""DDP under torchrun on CPU (gloo): ranks stay identical and match one process with the same global batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

SCRIPT = Path(__file__).parent / "scripts" / "ddp_train.py"
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    return env


def _free_port() -> int:
    with socket.socket() as sock:  # torchrun's --master_port 0 hangs with static rendezvous
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _torchrun(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        *args,
    ]


def test_two_ranks_equal_one_process_with_the_same_global_batch(tmp_path: Path) -> None:
    single, ddp = tmp_path / "single.safetensors", tmp_path / "ddp.safetensors"
    subprocess.run([sys.executable, str(SCRIPT), str(single), "8"], check=True, env=_env(), timeout=300)
    result = subprocess.run(
        _torchrun(str(SCRIPT), str(ddp), "8"), env=_env(), timeout=300, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    a, b = load_file(str(single)), load_file(str(ddp))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key], a[key], atol=1e-5, rtol=0)
    # The comparison means something only if training moved the weights: LayerNorm starts at exactly 1.
    assert not torch.equal(
        a["bert.embeddings.LayerNorm.weight"], torch.ones_like(a["bert.embeddings.LayerNorm.weight"])
    )


def test_cli_pretrain_runs_under_torchrun(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "\n\n".join(
            f"Document {d} begins here. It has a second sentence about topic {d}. A third one closes document {d}."
            for d in range(30)
        ),
        encoding="utf-8",
    )
    common = [
        "pretrain",
        "--corpus",
        str(corpus),
        "--preset",
        "tiny",
        "--steps",
        "3",
        "--seq-len",
        "32",
        "--dropout",
        "0",
        "--eval-fraction",
        "0",
        "--quiet",
        "--cache-dir",
        "",
    ]
    single = subprocess.run(
        [sys.executable, "-m", "bert_core", *common, "--batch-size", "8", "--out", str(tmp_path / "one")],
        env=_env(),
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert single.returncode == 0, single.stderr[-3000:]
    ddp = subprocess.run(
        _torchrun("-m", "bert_core", *common, "--batch-size", "4", "--out", str(tmp_path / "two")),
        env=_env(),
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    a = load_file(str(tmp_path / "one" / "checkpoint-3" / "model.safetensors"))
    b = load_file(str(tmp_path / "two" / "checkpoint-3" / "model.safetensors"))
    for key in a:
        torch.testing.assert_close(b[key], a[key], atol=1e-5, rtol=0)
