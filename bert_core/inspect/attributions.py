"""Why did the model say that? One score per input word piece, for a classifier or a QA model.

Three methods, each answering "which pieces pushed the prediction":

- ``integrated_gradients`` (Sundararajan et al. 2017, through captum): the gradient of the target
  probability averaged along a straight path from a baseline input (every word piece replaced by
  ``[PAD]``, ``[CLS]``/``[SEP]`` kept) to the real one, times the difference of the word embeddings.
  The scores add up to P(target | input) − P(target | baseline), up to the reported convergence delta.
- ``grad_x_input``: the gradient at the input alone, times the word embedding (one backward pass).
- ``rollout`` (Abnar & Zuidema 2020): attention of every layer averaged over heads, with the residual
  path added (0.5·A + 0.5·I, rows renormalised), multiplied through the layers; a piece's score is how
  much of the target row's attention flows back to it. Rows sum to 1; it says where the model looked,
  not which way a piece pushed.

The target is the predicted class for a sequence classifier, and the start or the end of the predicted
answer span for a QA model. Pieces can be merged into whole words with `Attribution.words`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
from captum.attr import LayerGradientXActivation, LayerIntegratedGradients
from torch import Tensor, nn

from ..batching import batch_from_encodings, eval_mode, model_device
from ..tokenizer import Encoding, Tokenizer
from .encoder import as_task_model
from .rollout import rollout

Method = Literal["integrated_gradients", "grad_x_input", "rollout"]
METHODS: tuple[str, ...] = ("integrated_gradients", "grad_x_input", "rollout")
QATarget = Literal["start", "end"]

__all__ = ["METHODS", "Attribution", "Word", "explain_classifier", "explain_answer", "rollout"]


@dataclass(frozen=True)
class Word:
    """One whole word: its text, its summed score, its characters in its own segment, its segment."""

    text: str
    score: float
    start: int
    end: int
    segment: int


@dataclass
class Attribution:
    """One explained prediction: a score per input piece (aligned with `tokens`, specials included)."""

    text: str  # the classified text, or the question for QA
    tokens: list[str]  # the model's input pieces, [CLS]/[SEP] included
    offsets: list[tuple[int, int]]  # characters of each piece in its own segment's text; (0, 0) for specials
    scores: list[float]  # one per piece
    method: str
    label: str  # class name, or "start"/"end" of the answer
    label_id: int  # class id, or the input position of the answer's start/end piece
    probability: float  # P(label) for the real input
    delta: float | None = None  # integrated gradients: sum(scores) − (f(input) − f(baseline))
    word_ids: list[int | None] = field(default_factory=list)  # word index in its segment; None for specials
    segments: list[int] = field(default_factory=list)  # 0: the text (or question), 1: the QA context
    context: str | None = None  # the QA context (segment 1), None for a classifier

    def words(self) -> list[Word]:
        """Pieces merged into whole words (scores summed), in input order; specials left out."""
        merged: list[Word] = []
        key: tuple[int, int] | None = None
        for score, word, segment, (start, end) in zip(self.scores, self.word_ids, self.segments, self.offsets):
            if word is None:
                key = None
                continue
            source = self.text if segment == 0 else (self.context or "")
            if key == (segment, word):
                last = merged[-1]
                merged[-1] = Word(source[last.start : end], last.score + score, last.start, end, segment)
            else:
                merged.append(Word(source[start:end], score, start, end, segment))
            key = (segment, word)
        return merged

    def to_json(self) -> dict[str, object]:
        """The record `python -m bert_core explain` writes, one per line."""
        out: dict[str, object] = {
            "text": self.text,
            "tokens": self.tokens,
            "offsets": [list(o) for o in self.offsets],
            "scores": self.scores,
            "label": self.label,
            "label_id": self.label_id,
            "probability": self.probability,
            "method": self.method,
        }
        if self.context is not None:
            out["context"] = self.context
        if self.delta is not None:
            out["delta"] = self.delta
        return out


def _batch(enc: Encoding, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """input_ids, token_type_ids, attention_mask (1, T) of one encoding."""
    batch = batch_from_encodings([enc], device)
    return batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]


def _baseline(ids: Tensor, enc: Encoding, pad_id: int) -> Tensor:
    """`ids` with every word piece replaced by [PAD]; [CLS] and [SEP] kept. (1, T)"""
    special = torch.tensor([enc.special_tokens_mask], device=ids.device).bool()
    return torch.where(special, ids, torch.full_like(ids, pad_id))


def _scores(
    method: str,
    model: nn.Module,
    target_fn: Callable[[Tensor, Tensor, Tensor], Tensor],
    enc: Encoding,
    pad_id: int,
    row: int,
    steps: int,
) -> tuple[list[float], float | None]:
    """Scores per piece (T,) and, for integrated gradients, the convergence delta."""
    device = model_device(model)
    ids, types, mask = _batch(enc, device)
    if method == "rollout":
        with torch.inference_mode():
            out = as_task_model(model).bert(ids, mask, types, output_attentions=True)
        attn = torch.stack([a[0] for a in out.attentions]).float()  # (L, nh, T, T)
        return rollout(attn)[row].tolist(), None
    layer = as_task_model(model).bert.embeddings.word_embeddings
    if method == "integrated_gradients":
        ig = LayerIntegratedGradients(target_fn, layer)
        attr, delta = ig.attribute(
            ids,
            baselines=_baseline(ids, enc, pad_id),
            additional_forward_args=(types, mask),
            n_steps=steps,
            internal_batch_size=steps,
            return_convergence_delta=True,
        )
        return attr[0].sum(-1).tolist(), float(delta[0])
    if method == "grad_x_input":
        attr = LayerGradientXActivation(target_fn, layer).attribute(ids, additional_forward_args=(types, mask))
        return attr[0].sum(-1).tolist(), None
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def explain_classifier(
    model: nn.Module,
    tokenizer: Tokenizer,
    text: str,
    *,
    method: str = "integrated_gradients",
    target: int | None = None,
    steps: int = 32,
    max_length: int | None = None,
) -> Attribution:
    """Scores per piece of `text` for class `target` (default: the predicted class) of a sequence classifier.

    Raises:
        ValueError: an empty text, an unknown method, or a target outside the model's classes.
    """
    if not text.strip():
        raise ValueError("there is no text to explain")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    limit = max_length or as_task_model(model).config.max_position_embeddings
    enc = tokenizer.encode(text, max_length=limit)
    device = model_device(model)
    ids, types, mask = _batch(enc, device)
    with eval_mode(model):
        with torch.inference_mode():
            probs = model(ids, mask, types).logits.float().softmax(-1)[0]  # (num_labels,)
        label_id = int(probs.argmax()) if target is None else target
        if not 0 <= label_id < probs.numel():
            raise ValueError(f"target must be a class id in [0, {probs.numel() - 1}], got {target}")

        def target_prob(i: Tensor, t: Tensor, m: Tensor) -> Tensor:
            return model(i, m, t).logits.float().softmax(-1)[:, label_id]  # (B,)

        scores, delta = _scores(method, model, target_prob, enc, tokenizer.pad_token_id, 0, steps)
    names = as_task_model(model).config.id2label or {}
    return Attribution(
        text=text,
        tokens=enc.tokens,
        offsets=[(a, b) for a, b in enc.offsets],
        scores=scores,
        method=method,
        label=str(names.get(label_id, f"LABEL_{label_id}")),
        label_id=label_id,
        probability=float(probs[label_id]),
        delta=delta,
        word_ids=list(enc.word_ids),
        segments=list(enc.token_type_ids),
    )


def explain_answer(
    model: nn.Module,
    tokenizer: Tokenizer,
    question: str,
    context: str,
    *,
    method: str = "integrated_gradients",
    which: QATarget = "start",
    position: int | None = None,
    steps: int = 32,
    max_length: int = 384,
) -> Attribution:
    """Scores per piece of (question, context) for the answer's start or end at input `position`
    (default: the most probable start — or end, at or after the best start — among the context pieces).

    Raises:
        ValueError: an empty question or context, an unknown method or `which`.
    """
    if not question.strip() or not context.strip():
        raise ValueError("both a question and a context are needed")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if which not in ("start", "end"):
        raise ValueError(f"which must be 'start' or 'end', got {which!r}")
    enc = tokenizer.encode(
        question, context, max_length=min(max_length, as_task_model(model).config.max_position_embeddings)
    )
    device = model_device(model)
    ids, types, mask = _batch(enc, device)
    in_context = torch.tensor([s == 1 and w is not None for s, w in zip(enc.token_type_ids, enc.word_ids)])
    with eval_mode(model):
        with torch.inference_mode():
            out = model(ids, mask, types)
        start_p = out.start_logits.float()[0].masked_fill(~in_context, float("-inf")).softmax(-1)  # (T,)
        end_p = out.end_logits.float()[0].masked_fill(~in_context, float("-inf")).softmax(-1)  # (T,)
        if position is None:
            best_start = int(start_p.argmax())
            after = torch.arange(len(enc)) >= best_start
            position = best_start if which == "start" else int(end_p.masked_fill(~after, -1.0).argmax())
        if not 0 <= position < len(enc):
            raise ValueError(f"position must be in [0, {len(enc) - 1}], got {position}")
        pos = position

        def target_prob(i: Tensor, t: Tensor, m: Tensor) -> Tensor:
            o = model(i, m, t)
            logits = o.start_logits if which == "start" else o.end_logits  # (B, T)
            return logits.float().masked_fill(~in_context.to(logits.device), float("-inf")).softmax(-1)[:, pos]

        scores, delta = _scores(method, model, target_prob, enc, tokenizer.pad_token_id, pos, steps)
    probability = float((start_p if which == "start" else end_p)[pos])
    return Attribution(
        text=question,
        tokens=enc.tokens,
        offsets=[(a, b) for a, b in enc.offsets],
        scores=scores,
        method=method,
        label=which,
        label_id=pos,
        probability=probability,
        delta=delta,
        word_ids=list(enc.word_ids),
        segments=list(enc.token_type_ids),
        context=context,
    )
