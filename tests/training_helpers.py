"""Synthetic pretraining data and a tiny model for the training-engine tests (test_training, test_adaptation)."""

from __future__ import annotations

import torch

from bert_core import BertConfig, BertForPreTraining
from bert_core.pretraining.dataset import PretrainingDataset

VOCAB = 60


def synthetic_docs(n_docs: int, sentences: int, seed: int = 0) -> list:
    """Documents of random 'words' (ids 5..59), each sentence 4–9 tokens; words of 1–2 pieces."""
    gen = torch.Generator().manual_seed(seed)
    docs = []
    for _ in range(n_docs):
        doc = []
        for _ in range(sentences):
            n = int(torch.randint(4, 10, (1,), generator=gen))
            ids = torch.randint(5, VOCAB, (n,), generator=gen).tolist()
            starts = [True] + (torch.rand(n - 1, generator=gen) < 0.7).tolist()
            doc.append((ids, starts))
        docs.append(doc)
    return docs


def dataset(docs: list, seed: int = 0, **kwargs) -> PretrainingDataset:
    return PretrainingDataset(
        docs,
        max_seq_length=32,
        vocab_size=VOCAB,
        cls_id=2,
        sep_id=3,
        pad_id=0,
        mask_id=4,
        seed=seed,
        random_token_low=5,
        **kwargs,
    )


def model(dropout: float = 0.1) -> BertForPreTraining:
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    return BertForPreTraining(config)
