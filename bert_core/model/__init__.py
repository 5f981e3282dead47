"""The BERT model classes; attribute names follow Hugging Face checkpoints exactly."""

from .base import BertPreTrainedModel
from .bert import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertModel,
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
