"""Scoring a fine-tuned model (run or model directory) on a data set: `python -m bert_core evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..batching import eval_mode
from ..checkpoint import RunDirectory, resolve_model_dir
from ..tokenizer.encoding import Tokenizer
from .registry import get_task

__all__ = ["evaluate_model"]


def evaluate_model(
    task: str,
    model_dir: str | Path,
    data: str,
    *,
    split: str = "dev",
    max_seq_length: int | None = None,
    batch_size: int = 64,
    text_column: str | None = None,
    label_column: str | None = None,
) -> dict[str, Any]:
    """Metrics of a fine-tuned model (run or model directory) on a data set.

    A built-in set is scored on its `split` (dev by default); a file is scored whole. Classification
    adds the confusion matrix and label names; QA adds nothing beyond EM/F1 (fractions) and loss.
    Settings not given are read from the run's run.json when there is one.

    Raises:
        CorpusError / ValueError: bad data, labels unknown to the model; FileNotFoundError: no model.
    """
    kind = get_task(task)
    source = resolve_model_dir(model_dir)
    runs = [p for p in (Path(model_dir), source.parent) if (p / "run.json").is_file()]
    saved = RunDirectory(runs[0]).read_info().get("spec", {}) if runs else {}
    is_file = not data.startswith(("builtin:", "hub:"))
    tokenizer = Tokenizer.from_pretrained(source)
    model = kind.model_class.from_pretrained(source)
    settings = {
        **saved,
        "max_seq_length": max_seq_length or saved.get("max_seq_length") or kind.default_max_seq_length,
        "eval_batch_size": batch_size,
        "dev_fraction": 0.0 if is_file else saved.get("dev_fraction", 0.1),
        "text_column": text_column,
        "label_column": label_column,
        **kind.evaluation_labels(model),
    }
    dataset = kind.load_data(data, settings)
    examples = dataset.train if is_file else (dataset.dev if split == "dev" else dataset.train)
    evaluator = kind.make_train_task([], examples, tokenizer, dataset, settings)
    if not examples:
        raise ValueError(f"no {split} examples in {data}")
    with eval_mode(model), torch.inference_mode():
        metrics: dict[str, Any] = evaluator.evaluate(model)
    metrics["examples"] = len(examples)
    metrics.update(kind.evaluation_report(evaluator, settings))
    return {"task": task, "model": str(source), "data": data, "split": "all" if is_file else split, **metrics}
