"""The default fine-tuning recipes: what `finetune` (and the app's fine-tune page) runs when only the task
and the data are given.

- sentiment: batch 32, learning rate 5e-5, 3 epochs, everything trained (BERT's GLUE recipe).
- QA: batch 16, learning rate 2e-4, the embeddings and the lowest third of the layers kept fixed (2 of
  MiniLM's 6), and a schedule fitted to the data size: about `QA_PASSES` training windows seen in all
  (15 epochs of the 168 built-in questions, chosen on the built-in dev split: F1 56.3 after 10, 64.0
  after 15), never fewer than 2 epochs (SQuAD-sized data: HF's run_qa recipe) nor more than 30.
  3 epochs at 5e-5 — the sentiment recipe, the old QA default — gave the 168 built-in questions 18
  optimizer steps: far too few to learn the span format (dev F1 ~13).

Keeping the bottom layers fixed makes a step ~1.4x cheaper: backward stops at layer 2 (those layers
cost their forward only) and AdamW skips the word embeddings, half of MiniLM's parameters. On the
built-in set it scored within noise of training every layer (10 epochs: dev F1 56.3 vs 53.6, held-out
57.8 vs 59.6).
See docs/finetuning-qa.md for the measurements behind these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Recipe", "RECIPES", "QA_PASSES", "fit_epochs", "default_freeze_layers"]

QA_PASSES = 2520  # training windows seen over a default QA run (15 epochs of the built-in 168)
QA_EPOCHS = (2.0, 30.0)  # bounds of the fitted QA schedule


@dataclass(frozen=True)
class Recipe:
    """Training settings of one task's default run."""

    batch_size: int
    learning_rate: float
    warmup_ratio: float  # share of the steps with a linearly rising learning rate
    freeze_share: float  # embeddings and this share of the layers, from the bottom, kept fixed (0: train all)
    epochs: float | None  # None: fitted to the data size by `fit_epochs`


RECIPES = {
    "sentiment": Recipe(batch_size=32, learning_rate=5e-5, warmup_ratio=0.1, freeze_share=0.0, epochs=3.0),
    "qa": Recipe(batch_size=16, learning_rate=2e-4, warmup_ratio=0.1, freeze_share=1 / 3, epochs=None),
}


def fit_epochs(task: str, train_windows: int) -> float:
    """The task's default number of epochs for `train_windows` training examples (QA: windows).

    QA: `QA_PASSES / train_windows`, within `QA_EPOCHS`, rounded to a tenth: 10 for the built-in set,
    2 for anything above 840 windows (e.g. `builtin:cloze` with 2,000 questions, or SQuAD).

    Raises:
        ValueError: an unknown task or no training examples.
    """
    if task not in RECIPES:
        raise ValueError(f"task must be one of {tuple(RECIPES)}, got {task!r}")
    if train_windows < 1:
        raise ValueError(f"no training examples to fit a schedule to ({train_windows})")
    fixed = RECIPES[task].epochs
    if fixed is not None:
        return fixed
    low, high = QA_EPOCHS
    return round(min(high, max(low, QA_PASSES / train_windows)), 1)


def default_freeze_layers(task: str, init: str, num_layers: int) -> int:
    """Layers the task's recipe keeps fixed in a model of `num_layers` (QA: a third, rounded down: 2 of 6);
    none for random weights, which have nothing worth keeping."""
    if init == "random":
        return 0
    return int(RECIPES[task].freeze_share * num_layers + 1e-9)
