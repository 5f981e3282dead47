"""Pretraining (masked LM + next-sentence prediction): tokenised documents and NSP sentence pairs
(`instances`), masking (`masking`), the dataset of masked batches (`dataset`), the tokenised-corpus cache
(`cache`), the task the engine drives (`task`) and the setup from a corpus name to a `Trainer` (`setup`)."""
