"""The saved run the page tests open: `runs/tiny-run`, built in seconds from the packaged lee corpus."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from bert_core import BertConfig, BertForPreTraining
from bert_core.checkpoint import RunDirectory
from bert_core.data import resolve_corpus
from bert_core.pretraining.timelapse import DEFAULT_PROBES, TimelapseRecorder, timelapse_words
from bert_core.tokenizer import Tokenizer


def make_tiny_run(root: Path, *, steps: Sequence[int] = (1, 2), extra_texts: Sequence[str] = ()) -> Path:
    """`root/tiny-run`: a 2-layer, 2-head BERT (hidden 128, preset "tiny") with a ≤400-token vocabulary
    trained on 60 lee documents (plus `extra_texts`), one checkpoint per step (different weights each)
    with a metrics row and a time-lapse frame each. Returns `root`."""
    sentences = [s for d in resolve_corpus("builtin:lee").documents[:60] for s in d]
    tokenizer = Tokenizer.train([*sentences, *extra_texts], vocab_size=400)
    config = BertConfig.from_preset("tiny", vocab_size=tokenizer.vocab_size)
    run = RunDirectory(root / "tiny-run")
    run.update_info(
        kind="pretraining",
        created_at=1.7e9,
        corpus="builtin:lee",
        status="finished",
        steps=max(steps),
        model={"layers": 2, "hidden": 128, "heads": 2},
    )
    words, groups = timelapse_words(sentences, tokenizer, n=30)
    recorder = TimelapseRecorder(run.path, tokenizer, DEFAULT_PROBES, words, groups)
    recorder.write_meta(config.num_hidden_layers, config.num_attention_heads)
    for step in steps:
        torch.manual_seed(step)
        run.append_metrics({"step": step, "mlm_loss": 6.0 - step, "mlm_acc": 0.1, "nsp_acc": 0.5})
        model = BertForPreTraining(config)
        run.save_checkpoint(step, model, tokenizer, {"status": "finished"})
        recorder.record(model, step)  # a time-lapse frame per checkpoint
    return root
