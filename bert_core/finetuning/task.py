"""What a fine-tuning task is: one object per task (`sentiment`, `qa`) holding everything that differs between
them — its data readers, its model head, its training task and metrics, its default recipe — so that the
setup, the CLI and the app ask the task instead of comparing its name.

The objects live in `registry.FINETUNE_TASKS` and are looked up by the name the CLI's `--task` and run.json's
`"task"` use (`get_task("qa")`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from torch import nn

from ..model import BertPreTrainedModel
from ..tokenizer import Tokenizer
from .classification import ClassificationTask
from .question_answering import QuestionAnsweringTask
from .recipe import RECIPES, Recipe, fit_epochs

__all__ = ["FinetuneTask"]


class FinetuneTask(ABC):
    """One fine-tuning task: what differs between sentiment classification and extractive QA.

    `settings` below is a mapping of `FinetuneSpec` fields (`asdict(spec)`, or a saved run's `"spec"`);
    a missing field takes `FinetuneSpec`'s default.
    """

    name: ClassVar[str]  # the CLI's --task and run.json's "task": "sentiment" | "qa"
    label: ClassVar[str]  # for people: "sentiment classification" | "extractive question answering"
    metric: ClassVar[str]  # prefix of the training metrics: "cls" (cls_loss, cls_acc) | "qa" (qa_loss, qa_acc)
    is_qa: ClassVar[bool]  # extractive QA (spans in a context) rather than a label per text
    default_data: ClassVar[str]  # the data set when none is named
    default_max_seq_length: ClassVar[int]  # tokens per sequence when none is given
    model_class: ClassVar[type[BertPreTrainedModel]]  # the model with this task's head

    @property
    def recipe(self) -> Recipe:
        """The default training settings of this task (`recipe.RECIPES`)."""
        return RECIPES[self.name]

    def fit_epochs(self, train_windows: int) -> float:
        """Default number of epochs for `train_windows` training examples (QA: windows)."""
        return fit_epochs(self.name, train_windows)

    @abstractmethod
    def load_data(self, data: str, settings: Mapping[str, Any]) -> Any:
        """The data set `data` names (builtin:…, hub:…, or a file), split into train and dev by `settings`.

        Raises:
            CorpusError: bad or unreadable data (a ValueError); ValueError: the Hub while offline.
        """

    def head_config(self, data: Any) -> dict[str, Any]:
        """Config overrides the task's head needs for `data` (e.g. the number of classes)."""
        return {}

    @abstractmethod
    def make_train_task(
        self, train: Sequence[Any], dev: Sequence[Any], tokenizer: Tokenizer, data: Any, settings: Mapping[str, Any]
    ) -> ClassificationTask | QuestionAnsweringTask:
        """The task the `Trainer` drives, over encoded `train` and `dev` examples of `data`."""

    def train_windows(self, train_task: Any) -> int:
        """How many training rows an epoch has (QA: context windows; a long context gives several)."""
        return len(train_task.train)

    def evaluation_labels(self, model: nn.Module) -> dict[str, Any]:
        """Settings that evaluating a trained `model` on new data needs from it (its class names)."""
        return {}

    def evaluation_report(self, evaluator: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
        """What `evaluate` adds to the metrics after `evaluator.evaluate` (labels, confusion matrix)."""
        return {}

    def __repr__(self) -> str:
        return f"<FinetuneTask {self.name}>"
