"""The QA task: extractive question answering (`BertForQuestionAnswering`): an answer span in a context, from
the built-in set, generated cloze questions, SQuAD on the Hub or a SQuAD file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model import BertForQuestionAnswering
from ..tokenizer import Tokenizer
from .data.qa import load_qa
from .data.squad import QAData, QAExample
from .question_answering import QuestionAnsweringTask
from .task import FinetuneTask

__all__ = ["QATask", "QA"]


class QATask(FinetuneTask):
    """Extractive QA over windowed contexts: metrics `qa_loss`, `qa_acc` (start and end both right); dev loss,
    exact match and F1."""

    name = "qa"
    label = "extractive question answering"
    metric = "qa"
    is_qa = True
    default_data = "builtin:qa"
    default_max_seq_length = 384
    model_class = BertForQuestionAnswering

    def load_data(self, data: str, settings: Mapping[str, Any]) -> QAData:
        return load_qa(
            data,
            dev_fraction=settings.get("dev_fraction", 0.1),
            seed=settings.get("seed", 0),
            cloze_questions=settings.get("cloze_questions", 2000),
        )

    def make_train_task(
        self,
        train: Sequence[QAExample],
        dev: Sequence[QAExample],
        tokenizer: Tokenizer,
        data: QAData,
        settings: Mapping[str, Any],
    ) -> QuestionAnsweringTask:
        return QuestionAnsweringTask(
            train,
            tokenizer,
            dev=dev,
            batch_size=settings.get("batch_size") or self.recipe.batch_size,
            max_seq_length=settings.get("max_seq_length") or self.default_max_seq_length,
            doc_stride=settings.get("doc_stride", 128),
            max_query_length=settings.get("max_query_length", 64),
            seed=settings.get("seed", 0),
            eval_batch_size=settings.get("eval_batch_size", 64),
            n_best=settings.get("n_best", 20),
            max_answer_length=settings.get("max_answer_length", 30),
            allow_no_answer=data.version_2,
        )

    def train_windows(self, train_task: QuestionAnsweringTask) -> int:
        return len(train_task.features)


QA = QATask()
