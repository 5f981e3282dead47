"""Any QA source by name: the built-in sets, generated cloze questions, the Hub, or a SQuAD file."""

from __future__ import annotations

from pathlib import Path

from ...data.corpus import CorpusError
from .cloze import generate_cloze
from .squad import QA_BUILTINS, QAData, load_qa_builtin, load_squad, load_squad_from_hub, split_by_context

__all__ = ["load_qa"]


def load_qa(
    spec: str | Path | bytes,
    *,
    name: str | None = None,
    strict: bool = False,
    dev_fraction: float = 0.1,
    seed: int = 0,
    cloze_questions: int = 2000,
) -> QAData:
    """Any QA source by name: `builtin:qa`, `builtin:cloze`, `builtin:cloze-news`, `hub:NAME`, or a file.

    A file is split by passage with `dev_fraction` (0: everything is train); the Hub sets use their
    own train/validation splits.

    Raises:
        CorpusError: a bad file or an unknown built-in; ValueError for the Hub when offline.
    """
    if isinstance(spec, str) and spec.startswith("builtin:"):
        key = spec.removeprefix("builtin:")
        if key == "qa":
            return QAData("qa_builtin", load_qa_builtin("train"), load_qa_builtin("dev"))
        if key in ("cloze", "cloze-news"):
            corpus = "news" if key == "cloze-news" else "lee"
            examples = generate_cloze(f"builtin:{corpus}", max_questions=cloze_questions, seed=seed)
            train, dev = split_by_context(examples, dev_fraction or 0.1, seed, by="title")  # documents apart
            notes = (
                [
                    f"the {corpus} corpus gave {len(examples):,} of {cloze_questions:,} cloze questions asked "
                    "(at most 3 per document)"
                ]
                if len(examples) < cloze_questions
                else []
            )
            return QAData(f"cloze_{corpus}", train, dev, notes=notes)
        raise CorpusError(f"unknown built-in QA set {spec!r}; choose from {['builtin:' + b for b in QA_BUILTINS]}")
    if isinstance(spec, str) and spec.startswith("hub:"):
        hub = spec.removeprefix("hub:")
        train, dev = load_squad_from_hub(hub, "train"), load_squad_from_hub(hub, "validation")
        return QAData(hub, train, dev, version_2=any(e.is_impossible for e in train))
    return load_squad(spec, name=name, strict=strict, dev_fraction=dev_fraction, seed=seed)
