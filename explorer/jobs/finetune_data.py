"""What a fine-tuning job does with its data: seeded subsamples of the splits, and the dev questions a QA
evaluation got wrong (the worst-errors table)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from bert_core.finetuning.classification import ClassificationTask
from bert_core.finetuning.question_answering import QuestionAnsweringTask
from bert_core.finetuning.setup import PreparedFinetuning, dev_class_counts
from bert_core.metrics import f1_score, normalize_answer

WORST_K = 10  # rows of the worst-errors table


def _sample(items: list, limit: int, seed: int) -> list:
    return random.Random(seed).sample(items, limit) if 0 < limit < len(items) else items


def subsample(prepared: PreparedFinetuning, max_train: int, max_dev: int) -> PreparedFinetuning:
    """The same fine-tuning with seeded subsamples of the train and dev splits (0: keep a split whole)."""
    task, spec = prepared.task, prepared.spec
    if not (0 < max_train < len(task.train) or 0 < max_dev < len(task.dev)):
        return prepared
    train, dev = _sample(task.train, max_train, spec.seed), _sample(task.dev, max_dev, spec.seed + 1)
    if isinstance(task, ClassificationTask):
        built: ClassificationTask | QuestionAnsweringTask = ClassificationTask(
            train,
            prepared.tokenizer,
            num_labels=task.num_labels,
            dev=dev,
            batch_size=spec.batch_size,
            max_seq_length=spec.max_seq_length,
            seed=spec.seed,
            eval_batch_size=spec.eval_batch_size,
        )
    else:
        built = QuestionAnsweringTask(
            train,
            prepared.tokenizer,
            dev=dev,
            batch_size=spec.batch_size,
            max_seq_length=spec.max_seq_length,
            doc_stride=spec.doc_stride,
            max_query_length=spec.max_query_length,
            seed=spec.seed,
            eval_batch_size=spec.eval_batch_size,
            n_best=spec.n_best,
            max_answer_length=spec.max_answer_length,
            allow_no_answer=task.allow_no_answer,
        )
    info = dict(
        prepared.data_info,
        train_used=len(train),
        dev_used=len(dev),
        dev_class_counts=dev_class_counts(built, getattr(prepared.data, "labels", None)),
    )
    return replace(prepared, task=built, data_info=info)


def qa_errors(task: QuestionAnsweringTask, k: int = WORST_K) -> list[dict[str, Any]]:
    """Dev questions the last evaluation got wrong (not an exact match), lowest F1 first."""
    rows = []
    for example in task.dev:
        predicted = task.last_predictions.get(example.id, "")
        gold = example.answer_texts or [""]
        if any(normalize_answer(predicted) == normalize_answer(g) for g in gold):
            continue
        rows.append(
            {
                "question": example.question,
                "predicted": predicted or "(no answer)",
                "gold": " | ".join(gold) or "(no answer)",
                "f1": f1_score(predicted, gold),
            }
        )
    rows.sort(key=lambda r: r["f1"])
    return rows[:k]
