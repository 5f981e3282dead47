"""BertModel and the task models built on it (pretraining, masked LM, classification, QA)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import BertConfig
from .attention import extended_attention_mask
from .base import BertPreTrainedModel
from .embeddings import BertEmbeddings
from .heads import BertOnlyMLMHead, BertPreTrainingHeads, masked_lm_logits_and_loss
from .layer import BertEncoder, BertPooler
from .outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    PreTrainingOutput,
    QuestionAnsweringOutput,
    SequenceClassifierOutput,
)

_TIED_MLM = ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")


def rows_of(selected: Tensor, with_cls: bool = False) -> tuple[Tensor, Tensor]:
    """Gather indices for the selected positions of each sequence, for `BertModel(..., last_rows=rows)`.

    Args:
        selected: (B, T) bool, e.g. `labels != -100` or `input_ids == mask_id`.
        with_cls: put position 0 ([CLS], what the pooler reads) first in every row.

    Returns:
        (rows (B, P), valid (B, P) bool): each sequence's selected positions in increasing order,
        padded with position 0 where a sequence has fewer than the most; `hidden[valid]` then lists
        the selected positions in row-major order, as `sequence_output[selected]` does.
    """
    counts = selected.sum(dim=1)  # (B,)
    width = int(counts.max()) if selected.numel() else 0
    order = torch.argsort((~selected).to(torch.uint8), dim=1, stable=True)[:, :width]  # selected first
    valid = torch.arange(width, device=selected.device) < counts[:, None]  # (B, width)
    rows = order.masked_fill(~valid, 0)
    if with_cls:
        rows = torch.cat([rows.new_zeros(rows.size(0), 1), rows], dim=1)  # (B, 1 + width)
        valid = torch.cat([valid.new_zeros(valid.size(0), 1), valid], dim=1)  # [CLS] is not a selected row
    return rows, valid


class BertModel(BertPreTrainedModel):
    """The encoder: embeddings → L transformer layers → (optional) pooler."""

    base_prefix = ""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        last_rows: Tensor | None = None,
    ) -> BaseModelOutput:
        """Encode a batch, or only the rows of the last layer that a head reads.

        Args:
            input_ids: (B, T) token ids.
            attention_mask: (B, T) 1 for real tokens, 0 for padding; None when nothing is padded
                (then no mask is built and attention takes its fastest path).
            token_type_ids: (B, T) segment ids; None means all 0.
            output_attentions: return per-layer attention probabilities (B, nh, T, T).
            output_hidden_states: return the embeddings and every layer's output.
            last_rows: (B, P) positions (see `rows_of`): the last layer computes only those rows, and
                `last_hidden_state` is (B, P, C), equal to the full one gathered at `last_rows`; every
                earlier layer still runs on all T tokens (keys and values need them). The one way to
                skip the work a head does not read: the [CLS] row for the pooler, the masked rows
                for the MLM decoder. `pooler_output` is then None: put 0 first in `last_rows`
                (`rows_of(..., with_cls=True)`) and call `self.pooler` on the result. Not with
                `output_attentions` or `output_hidden_states` (ValueError).
        """
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, C)
        mask = extended_attention_mask(attention_mask, x.dtype)  # (B, 1, 1, T) or None
        last, hidden, attentions = self.encoder(x, mask, output_attentions, output_hidden_states, last_rows)
        pooled = self.pooler(last) if self.pooler is not None and last_rows is None else None
        return BaseModelOutput(last, pooled, hidden, attentions)

    def attention_maps(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
    ) -> tuple[Tensor, ...]:
        """Attention probabilities of every layer, L × (B, nh, T, T): what an attention view draws.

        Equal to `forward(..., output_attentions=True).attentions`, without the work nothing reads:
        the last layer's values, context and feed-forward block, and the pooler.
        """
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, C)
        mask = extended_attention_mask(attention_mask, x.dtype)  # (B, 1, 1, T) or None
        return self.encoder.attention_maps(x, mask)


class BertForPreTraining(BertPreTrainedModel):
    """BERT with the masked-LM and next-sentence heads, as pretrained by Devlin et al."""

    tied_keys = _TIED_MLM

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        labels: Tensor | None = None,
        next_sentence_label: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        sparse_mlm: bool | None = None,
    ) -> PreTrainingOutput:
        """Forward pass with optional losses.

        Args:
            labels: (B, T) original ids at masked positions, -100 elsewhere.
            next_sentence_label: (B,) 0 when segment B follows A, 1 when it is random.
            sparse_mlm: decode only labelled positions (default: whenever `labels` is given); then
                `prediction_logits` is (N, V) over the labelled positions in row-major order.
        """
        sparse = labels is not None if sparse_mlm is None else sparse_mlm
        mlm_loss: Tensor | None
        if sparse and labels is not None and not (output_attentions or output_hidden_states):
            # Only [CLS] and the labelled positions are read: the last layer computes just those rows.
            selected = labels != -100  # (B, T)
            rows, valid = rows_of(selected, with_cls=True)  # (B, 1 + P)
            out = self.bert(input_ids, attention_mask, token_type_ids, last_rows=rows)
            hidden = out.last_hidden_state  # (B, 1 + P, C)
            logits, mlm_loss = self.cls.predictions.logits_and_loss(hidden[valid], labels[selected])  # (N, V)
            assert self.bert.pooler is not None  # built with add_pooling_layer=True
            nsp_logits = self.cls.seq_relationship(self.bert.pooler(hidden))  # (B, 2)
        else:
            out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states)
            logits, mlm_loss = masked_lm_logits_and_loss(self.cls.predictions, out.last_hidden_state, labels, sparse)
            nsp_logits = self.cls.seq_relationship(out.pooler_output)  # (B, 2)
        nsp_loss = None if next_sentence_label is None else F.cross_entropy(nsp_logits.float(), next_sentence_label)
        losses = [x for x in (mlm_loss, nsp_loss) if x is not None]
        loss = sum(losses[1:], losses[0]) if losses else None
        return PreTrainingOutput(loss, logits, nsp_logits, mlm_loss, nsp_loss, out.hidden_states, out.attentions)


class BertForMaskedLM(BertPreTrainedModel):
    """BERT with only the masked-LM head (no pooler), e.g. for fill-mask."""

    tied_keys = _TIED_MLM

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        sparse_mlm: bool | None = None,
    ) -> MaskedLMOutput:
        """Vocabulary logits (B, T, V), or (N, V) at labelled positions when decoding sparsely."""
        sparse = labels is not None if sparse_mlm is None else sparse_mlm
        loss: Tensor | None
        if sparse and labels is not None and not (output_attentions or output_hidden_states):
            selected = labels != -100  # (B, T)
            rows, valid = rows_of(selected)  # (B, P)
            out = self.bert(input_ids, attention_mask, token_type_ids, last_rows=rows)
            hidden = out.last_hidden_state[valid]  # (N, C)
            logits, loss = self.cls.predictions.logits_and_loss(hidden, labels[selected])  # (N, V)
            return MaskedLMOutput(loss, logits)
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states)
        logits, loss = masked_lm_logits_and_loss(self.cls.predictions, out.last_hidden_state, labels, sparse)
        return MaskedLMOutput(loss, logits, out.hidden_states, out.attentions)


class BertForSequenceClassification(BertPreTrainedModel):
    """Pooled [CLS] vector → dropout → linear classifier over `config.num_labels` classes."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> SequenceClassifierOutput:
        """Class logits (B, num_labels); `labels` (B,) gives cross-entropy (MSE when num_labels == 1)."""
        if output_attentions or output_hidden_states:
            out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states)
            pooled = out.pooler_output
        else:
            # The pooler reads only [CLS]: the last layer computes that one row.
            cls_row = input_ids.new_zeros(input_ids.size(0), 1)  # (B, 1)
            out = self.bert(input_ids, attention_mask, token_type_ids, last_rows=cls_row)  # last_hidden_state (B, 1, C)
            assert self.bert.pooler is not None  # built with add_pooling_layer=True
            pooled = self.bert.pooler(out.last_hidden_state)  # (B, C)
        logits = self.classifier(self.dropout(pooled))  # (B, num_labels)
        loss = None
        if labels is not None:
            if self.config.num_labels == 1:
                loss = F.mse_loss(logits.squeeze(-1).float(), labels.float())
            else:
                loss = F.cross_entropy(logits.float(), labels)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA: a start and an end logit for every token."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        start_positions: Tensor | None = None,
        end_positions: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> QuestionAnsweringOutput:
        """Start/end logits (B, T). Positions (B,) outside the sequence are ignored by the loss."""
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states)
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            ignored = start_logits.size(1)
            start = start_positions.clamp(0, ignored)
            end = end_positions.clamp(0, ignored)
            loss = (
                F.cross_entropy(start_logits.float(), start, ignore_index=ignored)
                + F.cross_entropy(end_logits.float(), end, ignore_index=ignored)
            ) / 2
        return QuestionAnsweringOutput(loss, start_logits, end_logits, out.hidden_states, out.attentions)
