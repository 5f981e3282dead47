"""One step-wise training engine for pretraining and fine-tuning: `Trainer` (`trainer`) and what it is given
(`arguments`: `TrainTask`, `TrainingArguments`, `decay_groups`)."""

from .arguments import Batch, TrainingArguments, TrainingDiverged, TrainTask, decay_groups
from .trainer import EVENTS, Trainer

__all__ = ["EVENTS", "Batch", "TrainTask", "Trainer", "TrainingArguments", "TrainingDiverged", "decay_groups"]
