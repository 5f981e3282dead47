"""Warnings about the data: a vocabulary the corpus cannot fill, a held-out set too small to mean anything."""

from __future__ import annotations

import torch

from bert_core.pretraining.setup import PretrainSpec, prepare_pretraining
from bert_core.tokenizer.training import reachable_vocab_size
from explorer.pretrain import data_checks

WORDS = (
    "the cat sat on the mat while a dog ran past the big red barn and the farmer "
    "watched birds fly over green hills near quiet rivers"
).split()


def small_corpus(n_docs: int, sentences: int = 6) -> str:
    """`n_docs` documents (blank-line separated) drawn from a 24-word vocabulary."""
    gen = torch.Generator().manual_seed(0)
    docs = []
    for _ in range(n_docs):
        lines = [
            " ".join(WORDS[i] for i in torch.randint(len(WORDS), (8,), generator=gen).tolist()).capitalize() + "."
            for _ in range(sentences)
        ]
        docs.append(" ".join(lines))
    return "\n\n".join(docs)


def test_a_small_corpus_cannot_reach_a_large_vocabulary_and_the_form_says_so() -> None:
    size, exact = reachable_vocab_size(small_corpus(40).split("\n\n"), 8000)
    assert exact and size < 500  # 24 words: the trainer runs out of pairs long before 8,000
    notice = data_checks.vocab_notice(8000, size, exact)
    assert notice is not None and f"{size:,}" in notice and "8,000" in notice
    assert data_checks.vocab_notice(size, size, exact) is None
    cut_size, cut_exact = reachable_vocab_size(small_corpus(40).split("\n\n"), 8000, max_words=50)
    assert not cut_exact and data_checks.vocab_notice(8000, cut_size, cut_exact) is None  # a lower bound only


def test_held_out_evaluation_reports_its_size_and_a_tiny_one_is_flagged(tmp_path) -> None:
    corpus = tmp_path / "small.txt"
    corpus.write_text(small_corpus(40), encoding="utf-8")  # 5% held out: 2 documents
    spec = PretrainSpec(
        corpus=str(corpus), preset="tiny", vocab="train", vocab_size=200, max_seq_length=32, batch_size=4, cache_dir=""
    )
    prepared = prepare_pretraining(spec)
    torch.manual_seed(0)
    metrics = prepared.task.evaluate(prepared.model.eval())
    assert metrics["eval_documents"] == prepared.eval_docs == 2
    assert 0 < metrics["eval_pairs"] < data_checks.MIN_HELDOUT_PAIRS and metrics["eval_masked"] > 0
    assert "2 documents" in data_checks.heldout_size(metrics)
    warning = data_checks.heldout_warning(metrics)
    assert warning is not None and "±" in warning
    big = dict(metrics, eval_pairs=640.0, eval_masked=3000.0)
    assert data_checks.heldout_warning(big) is None
    assert data_checks.heldout_warning({"mlm_acc": 0.1}) is None  # a record from before sizes were kept


def test_held_out_plan_matches_the_document_split() -> None:
    assert "**2** held out" in data_checks.heldout_plan(40)
    assert "no documents held out" in data_checks.heldout_plan(39)  # 1 document: too few to evaluate on
