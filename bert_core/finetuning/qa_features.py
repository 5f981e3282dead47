"""QA examples → model features (windows over long contexts), and model logits → answer spans.

A feature is ``[CLS] question [SEP] context window [SEP]`` (question first, as Hugging Face's run_qa).
A context longer than fits is cut into windows that overlap by ``doc_stride`` tokens (HF's meaning of
the stride: the overlap, not the step), so an answer cut by one window's edge is whole in the next.
The answer's character span maps to token positions through the tokenizer's offsets; a window that
does not hold the whole answer (or an unanswerable question) points both positions at ``[CLS]`` (0).

Decoding scores every pair of context positions of each window at once (a (n, n) tensor of start
logit + end logit), keeps the `n_best` best pairs with ``start <= end < start + max_answer_length``,
maps them back to character spans of the original context, and merges the windows' candidates (best
score per span).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..tokenizer.encoding import Tokenizer
from .data.squad import QAExample

__all__ = ["QAFeature", "Span", "make_features", "answer_token_span", "decode_example", "predict_answers"]


@dataclass
class QAFeature:
    example_index: int  # index into the examples list the features were made from
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int] | None]  # character span in the context; None for question and specials
    start_position: int  # token index of the answer's first token; 0 ([CLS]) when not in this window
    end_position: int

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class Span:
    text: str
    start: int  # character offsets in the context, end exclusive; (0, 0) for "no answer"
    end: int
    score: float  # start logit + end logit
    prob: float = 0.0  # softmax of the score over the n-best (and the no-answer score when allowed)


def answer_token_span(offsets: Sequence[tuple[int, int]], start_char: int, end_char: int) -> tuple[int, int] | None:
    """(first, last) index of the tokens covering characters [start_char, end_char), or None."""
    first = next((i for i, (s, e) in enumerate(offsets) if e > start_char), None)
    last = next((i for i in range(len(offsets) - 1, -1, -1) if offsets[i][0] < end_char), None)
    if first is None or last is None or first > last:
        return None
    return first, last


def make_features(
    examples: Sequence[QAExample],
    tokenizer: Tokenizer,
    *,
    max_seq_length: int = 384,
    doc_stride: int = 128,
    max_query_length: int = 64,
) -> list[QAFeature]:
    """Windowed features of every example, in example order.

    Raises:
        ValueError: when `doc_stride` leaves no room to advance (it must be smaller than
            max_seq_length - max_query_length - 3).
    """
    room = max_seq_length - max_query_length - 3
    if room < 1 or not 0 <= doc_stride < room:
        raise ValueError(
            f"doc_stride ({doc_stride}) must be in [0, max_seq_length - max_query_length - 3 = {room}); "
            f"raise max_seq_length ({max_seq_length}) or lower max_query_length ({max_query_length})"
        )
    backend = tokenizer.backend
    questions = backend.encode_batch([e.question for e in examples], add_special_tokens=False)
    contexts = backend.encode_batch([e.context for e in examples], add_special_tokens=False)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    features = []
    for index, (example, q, c) in enumerate(zip(examples, questions, contexts)):
        q_ids = q.ids[:max_query_length]
        ctx_offsets = [(a, b) for a, b in c.offsets]
        span = None
        if example.answers:
            span = answer_token_span(ctx_offsets, example.answers[0].start, example.answers[0].end)
        max_ctx = max_seq_length - len(q_ids) - 3
        step = max_ctx - doc_stride
        prefix = [cls_id, *q_ids, sep_id]
        start = 0
        while True:
            end = min(start + max_ctx, len(c.ids))
            window = c.ids[start:end]
            first_ctx = len(prefix)
            s_pos = e_pos = 0
            if span is not None and start <= span[0] and span[1] < end:
                s_pos, e_pos = first_ctx + span[0] - start, first_ctx + span[1] - start
            features.append(
                QAFeature(
                    index,
                    prefix + window + [sep_id],
                    [0] * len(prefix) + [1] * (len(window) + 1),
                    [None] * len(prefix) + ctx_offsets[start:end] + [None],
                    s_pos,
                    e_pos,
                )
            )
            if end >= len(c.ids):
                break
            start += step
    return features


def decode_example(
    example: QAExample,
    features: Sequence[QAFeature],
    start_logits: Sequence[Tensor],
    end_logits: Sequence[Tensor],
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    allow_no_answer: bool = False,
) -> tuple[list[Span], float]:
    """The n-best answer spans of one example over its windows, and its no-answer score.

    Args:
        example: the question and context.
        features: the example's windows; `start_logits[i]`/`end_logits[i]` are (T_i,) for window i
            (padding beyond the window's length is ignored).
        n_best: candidates kept per window and returned.
        max_answer_length: longest answer in tokens.
        allow_no_answer: add a "no answer" span ("" at (0, 0)) scored by the smallest [CLS] score over
            the windows, ranked with the others (SQuAD v2).

    Returns:
        (spans sorted best first, each with a probability over the returned candidates; null score).
    """
    best: dict[tuple[int, int], float] = {}
    null_score = float("inf")
    for feature, start, end in zip(features, start_logits, end_logits):
        n = len(feature)
        start, end = start[:n].float(), end[:n].float()
        null_score = min(null_score, float(start[0] + end[0]))
        in_context = torch.tensor([o is not None for o in feature.offsets])  # (n,)
        if not in_context.any():
            continue
        # Every (start, end) pair at once: valid inside the context with start <= end < start + max_answer_length.
        scores = start[:, None] + end[None, :]  # (n, n)
        length = torch.arange(n)[None, :] - torch.arange(n)[:, None]  # end - start
        valid = in_context[:, None] & in_context[None, :] & (length >= 0) & (length < max_answer_length)
        top = scores.masked_fill(~valid, float("-inf")).flatten().topk(min(n_best, n * n))
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            if score == float("-inf"):
                break
            s, e = divmod(flat, n)
            chars = (feature.offsets[s][0], feature.offsets[e][1])
            if score > best.get(chars, float("-inf")):
                best[chars] = score
    spans = [Span(example.context[a:b], a, b, score) for (a, b), score in best.items()]
    if allow_no_answer and features:
        spans.append(Span("", 0, 0, null_score))
    spans = sorted(spans, key=lambda sp: -sp.score)[:n_best]
    if spans:
        probs = torch.tensor([sp.score for sp in spans]).softmax(0).tolist()
        for sp, p in zip(spans, probs):
            sp.prob = p
    return spans, null_score


def predict_answers(
    examples: Sequence[QAExample],
    features: Sequence[QAFeature],
    start_logits: Sequence[Tensor],
    end_logits: Sequence[Tensor],
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    allow_no_answer: bool = False,
) -> dict[str, str]:
    """Question id → best answer text ("" for no answer), from the logits of every feature in order."""
    by_example: dict[int, list[int]] = {}
    for i, feature in enumerate(features):
        by_example.setdefault(feature.example_index, []).append(i)
    out = {}
    for index, example in enumerate(examples):
        rows = by_example.get(index, [])
        spans, _ = decode_example(
            example,
            [features[i] for i in rows],
            [start_logits[i] for i in rows],
            [end_logits[i] for i in rows],
            n_best=n_best,
            max_answer_length=max_answer_length,
            allow_no_answer=allow_no_answer,
        )
        out[example.id] = spans[0].text if spans else ""
    return out
