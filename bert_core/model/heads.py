"""Task heads: masked-LM (decoder tied to the word embeddings), next-sentence, both together."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ..config import BertConfig
from .layer import activation


def decoder_cross_entropy(h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Logits `h Wᵀ + b` (N, V) of `h` (N, C) and their mean cross-entropy against `targets` (N,)."""
    logits = F.linear(h, weight, bias)  # (N, V)
    return logits, F.cross_entropy(logits.float(), targets)


class BertPredictionHeadTransform(nn.Module):
    """dense → activation → LayerNorm, applied before the vocabulary projection."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """Vocabulary logits. `decoder.weight` is the word-embedding matrix and `decoder.bias` is `bias`
    (tied by the owning model), exactly as in Hugging Face checkpoints."""

    # Decoder + loss of `logits_and_loss`; `bert_core.kernels.use_fast_path` swaps in a fused one.
    decoder_loss_fn = staticmethod(decoder_cross_entropy)

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=True)
        self.bias = nn.Parameter(self.decoder.bias.detach().new_zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: Tensor) -> Tensor:
        """(..., C) → (..., V)."""
        return self.decoder(self.transform(hidden_states))

    def logits_and_loss(self, hidden_states: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (N, V), mean cross-entropy) of `hidden_states` (N, C) against `targets` (N,)."""
        return self.decoder_loss_fn(self.transform(hidden_states), self.decoder.weight, self.decoder.bias, targets)


def masked_lm_logits_and_loss(
    head: BertLMPredictionHead, sequence_output: Tensor, labels: Tensor | None, sparse: bool
) -> tuple[Tensor, Tensor | None]:
    """Vocabulary logits and MLM loss.

    With `sparse`, only the positions whose label is not -100 go through the (C × V) projection:
    at 15% masking that skips ~85% of the largest matmul of pretraining.

    Args:
        head: the MLM head.
        sequence_output: (B, T, C).
        labels: (B, T) original ids at masked positions, -100 elsewhere; or None.
        sparse: decode only the labelled positions (requires `labels`).

    Returns:
        (logits (B, T, V) or (N, V), mean cross-entropy over labelled positions or None).
    """
    if labels is None:
        return head(sequence_output), None
    if sparse:
        selected = labels != -100  # (B, T)
        return head.logits_and_loss(sequence_output[selected], labels[selected])  # (N, V), loss
    logits = head(sequence_output)  # (B, T, V)
    return logits, F.cross_entropy(logits.float().view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)


class BertPreTrainingHeads(nn.Module):
    """MLM head (`predictions`) and NSP head (`seq_relationship`)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)
