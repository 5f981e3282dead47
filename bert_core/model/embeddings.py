"""Token + segment + position embeddings."""

from __future__ import annotations

from torch import Tensor, nn

from ..config import BertConfig


class BertEmbeddings(nn.Module):
    """Sum of word, position and token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        """Embed `input_ids` (B, T) → (B, T, C)."""
        B, T = input_ids.shape
        if T > self.max_positions:
            raise ValueError(f"input has {T} tokens but the model has only {self.max_positions} positions")
        x = self.word_embeddings(input_ids)  # (B, T, C)
        if token_type_ids is None:
            # Segment 0 everywhere: add its single row instead of gathering a (B, T) index.
            x = x + self.token_type_embeddings.weight[0]
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings.weight[:T]  # (T, C) broadcast over the batch
        return self.dropout(self.LayerNorm(x))
