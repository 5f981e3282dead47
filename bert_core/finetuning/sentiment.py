"""The sentiment task: a label per text (`BertForSequenceClassification`), read from the built-in review sets
or a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from ..model import BertForSequenceClassification
from ..tokenizer import Tokenizer
from .classification import ClassificationTask, model_config
from .data.sentiment import LabelledText, SentimentData, load_sentiment
from .task import FinetuneTask

__all__ = ["SentimentTask", "SENTIMENT"]


class SentimentTask(FinetuneTask):
    """Sentiment classification: metrics `cls_loss`, `cls_acc`; dev loss, accuracy, macro P/R/F1."""

    name = "sentiment"
    label = "sentiment classification"
    metric = "cls"
    is_qa = False
    default_data = "builtin:rotten_tomatoes"
    default_max_seq_length = 128
    model_class = BertForSequenceClassification

    def load_data(self, data: str, settings: Mapping[str, Any]) -> SentimentData:
        return load_sentiment(
            data,
            text_column=settings.get("text_column"),
            label_column=settings.get("label_column"),
            dev_fraction=settings.get("dev_fraction", 0.1),
            seed=settings.get("seed", 0),
            labels=settings.get("labels"),
        )

    def head_config(self, data: SentimentData) -> dict[str, Any]:
        return {"num_labels": data.num_labels, "id2label": data.id2label}

    def make_train_task(
        self,
        train: Sequence[LabelledText],
        dev: Sequence[LabelledText],
        tokenizer: Tokenizer,
        data: SentimentData,
        settings: Mapping[str, Any],
    ) -> ClassificationTask:
        return ClassificationTask(
            train,
            tokenizer,
            num_labels=data.num_labels,
            dev=dev,
            batch_size=settings.get("batch_size") or self.recipe.batch_size,
            max_seq_length=settings.get("max_seq_length") or self.default_max_seq_length,
            seed=settings.get("seed", 0),
            eval_batch_size=settings.get("eval_batch_size", 64),
        )

    def evaluation_labels(self, model: nn.Module) -> dict[str, Any]:
        config = model_config(model)
        return {"labels": [(config.id2label or {}).get(i, str(i)) for i in range(config.num_labels)]}

    def evaluation_report(self, evaluator: ClassificationTask, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {"labels": settings["labels"], "confusion_matrix": evaluator.confusion()}


SENTIMENT = SentimentTask()
