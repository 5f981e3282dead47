"""Try-it queries on fine-tuned models: class probabilities for texts, n-best answers for a question.

Both run under `torch.inference_mode()` with the model in eval mode (its previous mode is restored),
batched, on the model's device. They never change the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..batching import eval_mode, model_device, to_device
from ..tokenizer.encoding import Tokenizer
from .classification import classifier_logits, model_config
from .data.squad import QAExample
from .qa_features import Span, decode_example, make_features
from .question_answering import collate_qa, qa_forward

__all__ = ["predict_sentiment", "label_probabilities", "QAPrediction", "answer"]


@torch.inference_mode()
def predict_sentiment(
    model: nn.Module, tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int | None = None, batch_size: int = 64
) -> Tensor:
    """Class probabilities (N, num_labels) of a sequence classifier for each text, in order.

    Args:
        max_length: tokens per text (default: the model's `max_position_embeddings`).
    """
    if not texts:
        return torch.zeros(0, model_config(model).num_labels)
    limit = max_length or model_config(model).max_position_embeddings
    ids = [e.input_ids for e in tokenizer.encode_batch(list(texts), max_length=limit)]
    with eval_mode(model):
        return classifier_logits(model, ids, tokenizer.pad_token_id, batch_size).softmax(-1)


def label_probabilities(model: nn.Module, probabilities: Tensor) -> list[dict[str, float]]:
    """{class name: probability} per row, names from `model.config.id2label` (else "LABEL_i")."""
    names = model_config(model).id2label or {}
    return [{names.get(i, f"LABEL_{i}"): float(p) for i, p in enumerate(row)} for row in probabilities]


@dataclass
class QAPrediction:
    """Answers to one question and the model's start/end distributions over the context tokens."""

    spans: list[Span]  # n-best, best first; text and character offsets into the context
    tokens: list[str] = field(default_factory=list)  # context tokens (WordPiece)
    token_offsets: list[tuple[int, int]] = field(default_factory=list)  # each token's characters in the context
    start_probs: list[float] = field(default_factory=list)  # P(answer starts at token), per context token
    end_probs: list[float] = field(default_factory=list)
    no_answer_score: float = 0.0  # [CLS] start + end logit (the best window's); compare with spans' scores
    windows: int = 1  # how many windows the context was cut into


@torch.inference_mode()
def answer(
    model: nn.Module,
    tokenizer: Tokenizer,
    question: str,
    context: str,
    *,
    n_best: int = 5,
    max_answer_length: int = 30,
    max_seq_length: int = 384,
    doc_stride: int = 128,
    max_query_length: int = 64,
    allow_no_answer: bool = False,
) -> QAPrediction:
    """The n-best answer spans of `question` in `context`, and per-token start/end probabilities.

    A long context is cut into windows (see `make_features`); each window's probabilities are a softmax
    over its [CLS] and context tokens, and a token seen in two windows shows its larger value.

    Raises:
        ValueError: an empty question or context, or impossible window settings.
    """
    if not question.strip() or not context.strip():
        raise ValueError("both a question and a context are needed")
    max_seq_length = min(max_seq_length, model_config(model).max_position_embeddings)
    example = QAExample("query", question.strip(), context, [])
    max_query_length = min(max_query_length, max_seq_length // 2)  # a long question still leaves room
    doc_stride = max(0, min(doc_stride, max_seq_length - max_query_length - 4))
    features = make_features(
        [example], tokenizer, max_seq_length=max_seq_length, doc_stride=doc_stride, max_query_length=max_query_length
    )
    with eval_mode(model):
        batch = to_device(collate_qa(features, tokenizer.pad_token_id), model_device(model))
        out = qa_forward(model, batch, with_loss=False)
    starts, ends = out.start_logits.float().cpu(), out.end_logits.float().cpu()  # (W, T)
    spans, null = decode_example(
        example,
        features,
        list(starts),
        list(ends),
        n_best=n_best,
        max_answer_length=max_answer_length,
        allow_no_answer=allow_no_answer,
    )
    context_enc = tokenizer.backend.encode(context, add_special_tokens=False)
    start_probs = [0.0] * len(context_enc.ids)
    end_probs = [0.0] * len(context_enc.ids)
    position = {tuple(o): i for i, o in enumerate(context_enc.offsets)}
    for w, feature in enumerate(features):
        keep = torch.tensor([i == 0 or o is not None for i, o in enumerate(feature.offsets)])  # [CLS] + context
        n = len(feature)
        for probs, logits in ((start_probs, starts[w, :n]), (end_probs, ends[w, :n])):
            p = logits.masked_fill(~keep, float("-inf")).softmax(-1)
            for t, offset in enumerate(feature.offsets):
                if offset is not None and (i := position.get(tuple(offset))) is not None:
                    probs[i] = max(probs[i], float(p[t]))
    return QAPrediction(
        spans,
        list(context_enc.tokens),
        [(a, b) for a, b in context_enc.offsets],
        start_probs,
        end_probs,
        null,
        len(features),
    )
