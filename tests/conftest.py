"""Shared fixtures: deterministic seeds, a tiny config, the packaged MiniLM directory; for the app tests a
tiny saved run (`runs_root`, `run_tokenizer`, the fine-tune `template`) and an isolated server (`env`).

The app fixtures import explorer and the test helpers lazily, so the bert_core tests do not load Streamlit."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# Nothing in the test suite may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bert_core import BertConfig  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several workers share the cores: one intra-op thread each avoids OpenMP threads spinning against
    # each other, which on a busy 2-core machine made steps up to 10x slower.
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # and the subprocesses (CLI, torchrun, streamlit server)


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def tiny_config() -> BertConfig:
    """Hugging Face's own test size: vocab 99, hidden 32, 2 layers, 4 heads."""
    return BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        type_vocab_size=2,
    )


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    from bert_core.assets import minilm_dir

    return minilm_dir()


TOY_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "."]


@pytest.fixture(scope="module")
def tokenizer():
    """A 14-token vocabulary (5 specials + TOY_WORDS) for inference tests; test files may shadow it."""
    from bert_core.tokenizer import Tokenizer

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return Tokenizer.from_vocab({t: i for i, t in enumerate(specials + TOY_WORDS)})


@pytest.fixture
def model(tokenizer):
    """A random 2-layer BertForPreTraining over `tokenizer`, in eval mode; test files may shadow it."""
    from bert_core import BertForPreTraining

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    return BertForPreTraining(config).eval()


@pytest.fixture
def pinned_gemm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One GEMM kernel for every shape: the automatic choice is timed per process, so two runs (or two
    processes) may pick different kernels and round differently. Tests that compare weights bit for bit pin it."""
    from bert_core.kernels.gemm import reset_gemm_choice

    monkeypatch.setenv("BERT_CORE_CPU_GEMM", "mkl")
    reset_gemm_choice()
    yield
    monkeypatch.undo()
    reset_gemm_choice()


# ---------------------------------------------------------------- the app tests
@pytest.fixture(scope="module")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/tiny-run (apptest_helpers.RUN): a 2-layer, 2-head BERT with a 400-token vocabulary, checkpoints
    at steps 1 and 2."""
    from tiny_run import make_tiny_run

    return make_tiny_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def run_tokenizer(runs_root: Path):
    """The vocabulary of the tiny run of `runs_root` (for `apptest_helpers.save_run`)."""
    from bert_core.checkpoint import RunDirectory
    from bert_core.tokenizer import Tokenizer

    return Tokenizer.from_pretrained(RunDirectory(runs_root / "tiny-run").latest_checkpoint())


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty runs folder, a classroom.toml of our own, a teacher password, and a fresh job registry."""
    from apptest_helpers import PASSWORD

    from explorer import settings
    from explorer.jobs.registry import job_registry

    monkeypatch.setenv("BERT_EXPLORER_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("BERT_EXPLORER_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("BERT_EXPLORER_CLASSROOM", str(tmp_path / "classroom.toml"))
    monkeypatch.setenv(settings.TEACHER_PASSWORD_ENV, PASSWORD)
    monkeypatch.delenv("BERT_EXPLORER_MAX_JOBS", raising=False)
    job_registry.clear()
    yield tmp_path
    (tmp_path / "classroom.toml").unlink(missing_ok=True)
    job_registry().stop_all()
    job_registry.clear()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/tiny-run: a 2-layer BERT (hidden 128) with a 400-token vocabulary trained on the lee corpus."""
    from finetune_helpers import CSV
    from tiny_run import make_tiny_run

    return make_tiny_run(tmp_path_factory.mktemp("ft_template"), steps=(1,), extra_texts=[CSV.replace(",", " ")])
