"""Saved runs of every kind for the runs-page tests: pretraining, fine-tuning (sentiment and QA), and an
uploaded model with no metrics, built in seconds from `tiny_run.make_tiny_run`; and `make_run`, a 1-layer
pretraining run with a 10-token vocabulary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tiny_run import make_tiny_run

from bert_core import BertConfig, BertForPreTraining
from bert_core.checkpoint import RunDirectory
from bert_core.tokenizer import Tokenizer


def make_gallery(root: Path) -> Path:
    """`root` with tiny-run (pretraining), ft-sentiment-tiny-1203-101500 and ft-qa-tiny-1203-111500
    (fine-tuning, per-step `loss` only), and uploaded-model (kind "imported", no metrics). Returns `root`."""
    make_tiny_run(root)
    for name, final_eval, created in (
        ("ft-sentiment-tiny-1203-101500", {"accuracy": 0.81, "loss": 0.4}, 1.71e9),
        ("ft-qa-tiny-1203-111500", {"exact_match": 0.25, "f1": 0.4}, 1.72e9),
    ):
        shutil.copytree(root / "tiny-run", root / name)
        (root / name / "metrics.jsonl").unlink()
        run = RunDirectory(root / name)
        run.update_info(
            kind="finetuning",
            created_at=created,
            corpus_label="reviews.csv",
            final_eval=final_eval,
            status="finished",
            steps=20,
        )
        for step in range(1, 21):
            run.append_metrics({"step": step, "loss": 0.7 - step / 40, "cls_acc": 0.5 + step / 50})
    shutil.copytree(root / "tiny-run", root / "uploaded-model")
    (root / "uploaded-model" / "metrics.jsonl").unlink()
    (root / "uploaded-model" / "run.json").write_text(
        json.dumps(  # what an upload records (explorer.runs)
            {"kind": "imported", "name": "uploaded-model", "created_at": 1.73e9, "description": "BERT 2×128"}
        )
    )
    return root


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_run(root: Path, name: str, steps: int = 3) -> Path:
    """`root/name`: a finished pretraining run with `steps` metrics rows and a checkpoint at the last step."""
    tokenizer = Tokenizer.from_vocab({t: i for i, t in enumerate(SPECIALS + ["the", "cat", "sat", "on", "mat"])})
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    run = RunDirectory(root / name)
    run.update_info(
        kind="pretraining",
        created_at=1.7e9,
        corpus="builtin:lee",
        corpus_label="builtin:lee",
        model={"layers": 1, "hidden": 32, "heads": 2},
        status="finished",
        steps=steps,
    )
    for step in range(1, steps + 1):
        run.append_metrics({"step": step, "mlm_loss": 5.0 - step, "mlm_acc": 0.1 * step, "nsp_acc": 0.5})
    run.save_checkpoint(steps, BertForPreTraining(config), tokenizer, {"status": "finished"})
    return run.path
