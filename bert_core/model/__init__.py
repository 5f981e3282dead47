"""The BERT model classes; attribute names follow Hugging Face checkpoints exactly."""

from .base import BertPreTrainedModel
from .bert import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertModel,
    rows_of,
)
from .outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    PreTrainingOutput,
    QuestionAnsweringOutput,
    SequenceClassifierOutput,
)

__all__ = [
    "BertPreTrainedModel",
    "BertModel",
    "rows_of",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForQuestionAnswering",
    "BaseModelOutput",
    "PreTrainingOutput",
    "MaskedLMOutput",
    "SequenceClassifierOutput",
    "QuestionAnsweringOutput",
]
