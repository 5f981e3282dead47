"""Fine-tuning: one task object per task (`registry.FINETUNE_TASKS`: `sentiment`, `qa`; see `task`), their data
readers (`data`), training tasks (`classification`, `question_answering`), default recipes (`recipe`), the
setup shared by the CLI and the app (`setup`, `start`), evaluation (`evaluate`), try-it predictions
(`predict`) and before/after views (`compare`)."""
