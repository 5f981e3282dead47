"""The `transformers` twin of a bert_core model, for the parity tests (test_model_parity, test_fast_path)."""

from __future__ import annotations

import copy

import pytest

from bert_core import BertConfig


def hf_model(name: str, config: BertConfig):
    """A transformers model of class `name` (e.g. "BertForPreTraining") with eager attention, in eval mode,
    built from a deep copy of `config` (transformers mutates the config it is given)."""
    transformers = pytest.importorskip("transformers")
    hf_config = transformers.BertConfig(**copy.deepcopy(config.to_dict()), attn_implementation="eager")
    return getattr(transformers, name)(hf_config).eval()
