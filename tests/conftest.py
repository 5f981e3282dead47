"""Shared fixtures: deterministic seeds, a tiny config, the packaged MiniLM directory."""

from __future__ import annotations

import os
import random
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
