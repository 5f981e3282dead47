"""Analytic FLOP counts (a multiply-add is 2 FLOPs; backward costs twice the forward).

Useful FLOPs of one pretraining step (forward + backward), the same count credited to both sides:

    F = 6 · N_enc · B·T                      encoder matmuls: N_enc = L · (4C² + 2·C·D) weights
      + 12 · L · B · T² · C                  attention scores QKᵀ and context P·V (2 · 2·T²·C each, ×3)
      + 6 · (C² + C·V) · M                   MLM transform + vocabulary decoder on the M masked tokens
      + 6 · (C² + 2·C) · B                   pooler + NSP classifier on the [CLS] tokens

Biases, LayerNorm, GELU, softmax, dropout, embeddings and AdamW are not counted (not matmuls).
transformers decodes all B·T positions (F + 6·(C² + C·V)·(B·T − M) actual FLOPs), but that extra work
is not useful, so MFU uses F for both sides: it measures useful work per second.
"""

from __future__ import annotations

from bert_core import BertConfig


def encoder_matmul_params(config: BertConfig) -> int:
    """Weights that take part in a matmul per token, over all layers (Q, K, V, O, FFN in and out)."""
    C, D = config.hidden_size, config.intermediate_size
    return config.num_hidden_layers * (4 * C * C + 2 * C * D)


def encoder_forward_flops(config: BertConfig, batch: int, seq: int) -> int:
    """Forward FLOPs of the encoder (projections + attention matmuls)."""
    C, L = config.hidden_size, config.num_hidden_layers
    return 2 * encoder_matmul_params(config) * batch * seq + 4 * L * batch * seq * seq * C


def pretraining_step_flops(config: BertConfig, batch: int, seq: int, masked: int) -> int:
    """Useful FLOPs of one forward + backward pretraining step; `masked` = decoded positions in the batch."""
    C, V = config.hidden_size, config.vocab_size
    forward = encoder_forward_flops(config, batch, seq) + 2 * (C * C + C * V) * masked + 2 * (C * C + 2 * C) * batch
    return 3 * forward


def finetune_step_flops(config: BertConfig, batch: int, seq: int, num_labels: int) -> int:
    """Forward + backward FLOPs of a sequence-classification step (encoder, pooler, classifier)."""
    C = config.hidden_size
    return 3 * (encoder_forward_flops(config, batch, seq) + 2 * (C * C + C * num_labels) * batch)


def bert_core_executed_pretraining_flops(config: BertConfig, batch: int, seq: int, masked: int, last_rows: int) -> int:
    """FLOPs bert_core actually runs in a pretraining step: its last layer computes only `last_rows`
    rows per sequence ([CLS] + the most masked tokens any sequence has), keys and values still on all."""
    C, D, V, L = config.hidden_size, config.intermediate_size, config.vocab_size, config.num_hidden_layers
    per_layer = 2 * (4 * C * C + 2 * C * D) * batch * seq + 4 * batch * seq * seq * C
    last = (
        2 * 2 * C * C * batch * seq  # keys, values: every token
        + 2 * (2 * C * C + 2 * C * D) * batch * last_rows  # query, output, FFN: the kept rows
        + 4 * batch * last_rows * seq * C
    )  # scores and context of the kept rows
    forward = (L - 1) * per_layer + last + 2 * (C * C + C * V) * masked + 2 * (C * C + 2 * C) * batch
    return 3 * forward
