"""bert_core: BERT from scratch in PyTorch, checkpoint-compatible with Hugging Face `transformers`."""

from __future__ import annotations

from typing import Any

from .config import PRESETS, BertConfig
from .model import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertModel,
    BertPreTrainedModel,
)

__all__ = [
    "BertConfig",
    "PRESETS",
    "BertPreTrainedModel",
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForQuestionAnswering",
    "Tokenizer",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The tokenizer pulls in HF `tokenizers`; import it on first use so `import bert_core` stays light.
    if name == "Tokenizer":
        from .tokenizer import Tokenizer

        return Tokenizer
    raise AttributeError(f"module 'bert_core' has no attribute {name!r}")
