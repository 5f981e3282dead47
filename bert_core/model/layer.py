"""One post-LayerNorm transformer encoder layer, the stack of them, and the pooler."""

from __future__ import annotations

from torch import Tensor, nn

from ..config import BertConfig
from .attention import BertSelfAttention


def activation(name: str) -> nn.Module:
    """The activation module for a config's `hidden_act`."""
    if name == "gelu":
        return nn.GELU()
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return nn.GELU(approximate="tanh")
    if name == "relu":
        return nn.ReLU()
    return nn.SiLU()


class BertSelfOutput(nn.Module):
    """Output projection of attention, residual, LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class BertAttention(nn.Module):
    """Self-attention followed by its output block (names as in the checkpoint: `self`, `output`)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(
        self,
        hidden_states: Tensor,
        attn_mask: Tensor | None,
        output_attentions: bool,
        queries: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        context, probs = self.self(hidden_states, attn_mask, output_attentions, queries)
        return self.output(context, hidden_states if queries is None else queries), probs


class BertIntermediate(nn.Module):
    """First half of the feed-forward block: C → intermediate, activation."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    """Second half of the feed-forward block: intermediate → C, residual, LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class BertLayer(nn.Module):
    """Attention block then feed-forward block, each with residual + post-LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(
        self,
        hidden_states: Tensor,
        attn_mask: Tensor | None = None,
        output_attentions: bool = False,
        queries: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """(B, T, C) → (B, T, C); or (B, P, C) for the rows given as `queries` (B, P, C)."""
        attended, probs = self.attention(hidden_states, attn_mask, output_attentions, queries)  # (B, P, C)
        return self.output(self.intermediate(attended), attended), probs


class BertEncoder(nn.Module):
    """The stack of `num_hidden_layers` encoder layers."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(
        self,
        hidden_states: Tensor,
        attn_mask: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        last_rows: Tensor | None = None,
    ) -> tuple[Tensor, tuple[Tensor, ...] | None, tuple[Tensor, ...] | None]:
        """Returns (last hidden state, all hidden states incl. embeddings or None, attentions or None).

        `last_rows` (B, P) position indices: the last layer computes only those rows and the last
        hidden state is (B, P, C). Heads that read a few positions (the [CLS] vector, the masked
        tokens) skip most of the last layer's work this way; earlier layers still see every token.
        """
        if last_rows is not None and (output_hidden_states or output_attentions):
            raise ValueError("last_rows gives a partial last layer: it cannot return hidden states or attentions")
        all_hidden: list[Tensor] = [hidden_states] if output_hidden_states else []
        all_attn: list[Tensor] = []
        last = len(self.layer) - 1
        for i, block in enumerate(self.layer):
            queries = None
            if i == last and last_rows is not None:
                index = last_rows[..., None].expand(-1, -1, hidden_states.size(-1))  # (B, P, C)
                queries = hidden_states.gather(1, index)  # (B, P, C)
            hidden_states, probs = block(hidden_states, attn_mask, output_attentions, queries)
            if output_hidden_states:
                all_hidden.append(hidden_states)
            if probs is not None:
                all_attn.append(probs)
        return (
            hidden_states,
            tuple(all_hidden) if output_hidden_states else None,
            tuple(all_attn) if output_attentions else None,
        )

    def attention_maps(self, hidden_states: Tensor, attn_mask: Tensor | None = None) -> tuple[Tensor, ...]:
        """Every layer's attention probabilities, L × (B, nh, T, T), doing only the work they need.

        Equal to `forward(..., output_attentions=True)[2]`, but the last layer stops at its softmax:
        its values, context, output projection and feed-forward block feed nothing a map shows.
        """
        maps: list[Tensor] = []
        for block in self.layer[:-1]:
            hidden_states, probs = block(hidden_states, attn_mask, output_attentions=True)
            maps.append(probs)
        last = self.layer[-1]
        assert isinstance(last, BertLayer)  # ModuleList items are typed as plain Modules
        maps.append(last.attention.self.probabilities(hidden_states, attn_mask))
        return tuple(maps)


class BertPooler(nn.Module):
    """tanh(W · h[CLS] + b): the sentence vector the NSP and classification heads read."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))  # (B, C)
