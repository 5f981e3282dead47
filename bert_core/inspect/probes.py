"""Probing classifiers: what does each layer know?

For a labelled task, the vectors of every layer (0 = embeddings) are frozen and a logistic regression
(scikit-learn) learns to read the label from them on a training split; its accuracy on held-out
examples says how plainly that layer encodes the label. Two references make the number mean something:
the majority-class baseline (a probe that learned nothing), and a control — the same probe on an
encoder of the same shape with random weights — which shows how much a probe finds in any
high-dimensional vector of the input, without learning.

Tasks (all offline):
- ``sentiment`` (sentence): Rotten Tomatoes snippets, fresh vs rotten.
- ``source`` (sentence): a sentence from the news corpus or from the Wikipedia sample.
- ``capitalised`` (token): was this word written with a capital letter? Words of news sentences, the
  first word of each sentence left out. An uncased model never sees case, so it can only infer it
  (names, places) from the word and its context; for a cased vocabulary the task is trivial.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from ..batching import eval_mode, model_device
from ..data import load_builtin
from ..finetuning.data.sentiment import load_rotten_tomatoes
from ..model import BertModel
from ..tokenizer import Tokenizer
from .encoder import encoder_of

__all__ = ["PROBE_TASKS", "ProbeData", "ProbeResult", "probe_data", "layer_features", "fit_probes", "run_probe"]

PROBE_TASKS: dict[str, str] = {
    "sentiment": "sentence: fresh or rotten (Rotten Tomatoes snippets)",
    "source": "sentence: from the news corpus or from Wikipedia",
    "capitalised": "token: was this word capitalised (first word of a sentence left out)",
}
_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class ProbeData:
    """Texts and their labels: one label per text (sentence task) or one per word span (token task)."""

    task: str
    kind: str  # "sentence" or "token"
    texts: list[str]
    labels: list[int] | list[list[tuple[int, int, int]]]  # token task: (start char, end char, label) per word
    label_names: list[str]


@dataclass
class ProbeResult:
    """Held-out accuracy per layer, for the model and for the random-weights control."""

    task: str
    layers: list[int]  # 0 = embeddings
    accuracy: list[float]
    control: list[float]
    majority: float  # accuracy of always answering the most frequent training label
    n_train: int
    n_test: int
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in ("task", "layers", "accuracy", "control", "majority", "n_train", "n_test")}


def _sentences(corpus: str, n: int, rng: random.Random, min_words: int = 8, max_words: int = 40) -> list[str]:
    pool = [s for doc in load_builtin(corpus).documents for s in doc if min_words <= len(s.split()) <= max_words]
    return rng.sample(pool, min(n, len(pool)))


def probe_data(task: str, n: int = 2000, seed: int = 0) -> ProbeData:
    """`n` examples of a built-in probing task (sentences; for a token task, n sentences of words).

    Raises:
        ValueError: an unknown task.
    """
    rng = random.Random(seed)
    if task == "sentiment":
        data = load_rotten_tomatoes()
        by_label: dict[int, list[str]] = {}
        for ex in data.train + data.dev:
            by_label.setdefault(ex.label, []).append(ex.text)
        per = n // len(by_label)
        pairs = [(t, label) for label, texts in sorted(by_label.items()) for t in rng.sample(texts, per)]
        rng.shuffle(pairs)
        return ProbeData(task, "sentence", [t for t, _ in pairs], [y for _, y in pairs], list(data.labels))
    if task == "source":
        pairs = [(s, 0) for s in _sentences("news", n // 2, rng)] + [(s, 1) for s in _sentences("wiki", n // 2, rng)]
        rng.shuffle(pairs)
        return ProbeData(task, "sentence", [t for t, _ in pairs], [y for _, y in pairs], ["news", "wikipedia"])
    if task == "capitalised":
        texts = _sentences("news", n, rng)
        spans = [[(m.start(), m.end(), int(m.group()[0].isupper())) for m in _WORD.finditer(t)][1:] for t in texts]
        return ProbeData(task, "token", texts, spans, ["lower case", "capitalised"])
    raise ValueError(f"task must be one of {sorted(PROBE_TASKS)}, got {task!r}")


def layer_features(
    model: nn.Module,
    tokenizer: Tokenizer,
    data: ProbeData,
    *,
    batch_size: int = 32,
    max_length: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frozen vectors of every layer: (L + 1, N, C), their labels (N,) and the text each came from (N,).

    A sentence is the mean of its word pieces ([CLS]/[SEP]/padding left out); a word is its first piece.
    """
    encoder = encoder_of(model)
    device = model_device(encoder)
    limit = min(max_length, encoder.config.max_position_embeddings)
    vectors: list[np.ndarray] = []
    labels: list[int] = []
    sources: list[int] = []
    with eval_mode(encoder):
        order = sorted(range(len(data.texts)), key=lambda i: len(data.texts[i]))  # similar lengths: less padding
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encs = tokenizer.encode_batch([data.texts[i] for i in batch], max_length=limit, padding=True)
            ids = torch.tensor([e.input_ids for e in encs], device=device)  # (B, T)
            mask = torch.tensor([e.attention_mask for e in encs], device=device)  # (B, T)
            with torch.inference_mode():
                hidden = encoder(ids, mask, output_hidden_states=True).hidden_states
            stack = torch.stack(hidden).float()  # (L + 1, B, T, C)
            for b, (i, enc) in enumerate(zip(batch, encs)):
                if data.kind == "sentence":
                    keep = torch.tensor(
                        [m == 1 and s == 0 for m, s in zip(enc.attention_mask, enc.special_tokens_mask)]
                    )
                    vectors.append(stack[:, b, keep.to(device)].mean(1).cpu().numpy()[:, None])  # (L + 1, 1, C)
                    labels.append(int(data.labels[i]))  # type: ignore[arg-type]
                    sources.append(i)
                    continue
                first_piece: dict[int, int] = {}  # word's start char → its first piece
                for t, (o, w) in enumerate(zip(enc.offsets, enc.word_ids)):
                    if w is not None and o[0] not in first_piece:
                        first_piece[o[0]] = t
                spans = data.labels[i]
                assert isinstance(spans, list)  # token task: (start char, end char, label) per word
                rows = [(first_piece[s], y) for s, _, y in spans if s in first_piece]
                if rows:
                    vectors.append(stack[:, b, [t for t, _ in rows]].cpu().numpy())  # (L + 1, k, C)
                    labels.extend(y for _, y in rows)
                    sources.extend([i] * len(rows))
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
    return np.concatenate(vectors, axis=1), np.asarray(labels), np.asarray(sources)


def fit_probes(features: np.ndarray, labels: np.ndarray, train: np.ndarray, seed: int = 0) -> list[float]:
    """Held-out accuracy of a logistic-regression probe per layer: `features` (L + 1, N, C), `train` (N,) bool."""
    scores = []
    for layer in features:
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
        probe.fit(layer[train], labels[train])
        scores.append(float(probe.score(layer[~train], labels[~train])))
    return scores


def run_probe(
    model: nn.Module,
    tokenizer: Tokenizer,
    task: str,
    *,
    n: int = 2000,
    seed: int = 0,
    test_fraction: float = 0.25,
    progress: Callable[[int, int], None] | None = None,
) -> ProbeResult:
    """Probe every layer of `model` and of a random-weights control of the same shape on `task`.

    The split is by text, so no word of a test sentence is seen in training.
    """
    data = probe_data(task, n, seed)
    total = 2 * len(data.texts)
    step = (lambda done, _: progress(done, total)) if progress is not None else None
    features, labels, sources = layer_features(model, tokenizer, data, progress=step)
    torch.manual_seed(seed)
    control_model = BertModel(encoder_of(model).config).to(model_device(model))
    after = (lambda done, _: progress(len(data.texts) + done, total)) if progress is not None else None
    control_features, _, _ = layer_features(control_model, tokenizer, data, progress=after)
    test_texts = np.random.default_rng(seed).random(len(data.texts)) < test_fraction
    train = ~test_texts[sources]
    counts = np.bincount(labels[train], minlength=len(data.label_names))
    notes = []
    lowercase = tokenizer.encode("A").tokens[1] == "a"
    if task == "capitalised" and not lowercase:
        notes.append("this vocabulary keeps capitals, so the word itself gives the answer away")
    return ProbeResult(
        task=task,
        layers=list(range(features.shape[0])),
        accuracy=fit_probes(features, labels, train, seed),
        control=fit_probes(control_features, labels, train, seed),
        majority=float((labels[~train] == counts.argmax()).mean()),
        n_train=int(train.sum()),
        n_test=int((~train).sum()),
        notes=notes,
    )
