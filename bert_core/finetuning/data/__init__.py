"""Fine-tuning data readers: labelled texts (`sentiment`), SQuAD-format QA (`squad`), cloze questions generated
from a corpus (`cloze`), and any QA source by name (`qa`)."""
