"""`python -m bert_core pretrain`: flags, and the run they describe."""

from __future__ import annotations

import argparse
import sys
import time

from ..checkpoint import RunDirectory
from ..pretraining.setup import PretrainSpec, make_trainer, prepare_pretraining, record_baseline
from ..training import TrainingArguments
from .run import PreparedRun, stop_after


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pretrain",
        help="pretrain a BERT with MLM + NSP",
        description="Pretrain a BERT with masked-LM and next-sentence prediction. Writes "
        "checkpoints in Hugging Face layout into --out.",
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--corpus",
        default="builtin:lee",
        help="builtin:lee | builtin:news | builtin:wiki | a .txt/.csv/.tsv/.jsonl/.zip file",
    )
    data.add_argument("--text-column", help="text column of a .csv/.tsv/.jsonl corpus")
    data.add_argument("--seq-len", type=int, default=128, help="tokens per training sequence (default 128)")
    data.add_argument("--wwm", action="store_true", help="whole-word masking")
    data.add_argument("--max-predictions", type=int, default=20, help="masked tokens per sequence at most")
    data.add_argument("--eval-fraction", type=float, default=0.05, help="documents held out for evaluation")
    model = p.add_argument_group("model")
    model.add_argument("--preset", default="mini", choices=["tiny", "mini", "small", "medium", "base"])
    model.add_argument("--layers", type=int, help="custom number of layers")
    model.add_argument("--hidden", type=int, help="custom hidden size")
    model.add_argument("--heads", type=int, help="custom number of attention heads")
    model.add_argument("--dropout", type=float, default=0.1)
    model.add_argument(
        "--init",
        help="start from a run/model directory or builtin:minilm instead of random weights "
        "(keeps its vocabulary; missing MLM/NSP heads are created fresh)",
    )
    model.add_argument(
        "--freeze-encoder-steps",
        type=int,
        default=0,
        help="keep the encoder fixed for the first N steps so fresh heads catch up (with --init)",
    )
    model.add_argument(
        "--vocab",
        choices=["stock", "train"],
        default="stock",
        help="stock uncased vocabulary, or train a WordPiece vocabulary on the corpus",
    )
    model.add_argument("--vocab-size", type=int, default=8000, help="size of a trained vocabulary")
    opt = p.add_argument_group("optimisation")
    opt.add_argument("--steps", type=int, default=1000)
    opt.add_argument("--batch-size", type=int, default=32, help="sequences per step and per process")
    opt.add_argument("--grad-accum", type=int, default=1)
    opt.add_argument("--lr", type=float, default=5e-4)
    opt.add_argument("--warmup", type=int, default=None, help="warmup steps (default: 10%% of --steps)")
    opt.add_argument("--weight-decay", type=float, default=0.01)
    opt.add_argument("--seed", type=int, default=0)
    opt.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    opt.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    opt.add_argument("--compile", action="store_true", help="torch.compile the model (slow start)")
    opt.add_argument("--max-minutes", type=float, help="stop (and save) after this much wall time")
    run = p.add_argument_group("run")
    run.add_argument("--out", required=True, help="run directory")
    run.add_argument("--save-every", type=int, default=0, help="checkpoint every N steps (always at the end)")
    run.add_argument("--eval-every", type=int, default=0, help="held-out evaluation every N steps")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    run.add_argument("--cache-dir", help="tokenised-corpus cache (default ~/.cache/bert_explorer)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def run(ns: argparse.Namespace) -> int:
    prepare_pretrain_run(ns).train()
    return 0


def prepare_pretrain_run(ns: argparse.Namespace) -> PreparedRun:
    """Set up the `pretrain` run that parsed flags `ns` describe (data, model, run.json, baseline)."""

    spec = PretrainSpec(
        corpus=ns.corpus,
        text_column=ns.text_column,
        preset=ns.preset,
        num_hidden_layers=ns.layers,
        hidden_size=ns.hidden,
        num_attention_heads=ns.heads,
        dropout=ns.dropout,
        init=ns.init,
        vocab=ns.vocab,
        vocab_size=ns.vocab_size,
        max_seq_length=ns.seq_len,
        whole_word_masking=ns.wwm,
        max_predictions=ns.max_predictions,
        eval_fraction=ns.eval_fraction,
        batch_size=ns.batch_size,
        seed=ns.seed,
        cache_dir=ns.cache_dir,
    )
    args = TrainingArguments(
        max_steps=ns.steps,
        learning_rate=ns.lr,
        warmup_steps=ns.warmup if ns.warmup is not None else ns.steps // 10,
        weight_decay=ns.weight_decay,
        gradient_accumulation_steps=ns.grad_accum,
        seed=ns.seed,
        precision=ns.precision,
        device=ns.device,
        eval_every=ns.eval_every,
        save_every=ns.save_every,
        compile=ns.compile,
        freeze_encoder_steps=ns.freeze_encoder_steps,
    )
    run_dir = RunDirectory(ns.out)
    if not ns.resume and run_dir.checkpoints():
        raise ValueError(f"{ns.out} already holds a run: pass --resume to continue it, or choose another --out")
    started = time.perf_counter()
    prepared = prepare_pretraining(spec, progress=None if ns.quiet else lambda m: print(m, file=sys.stderr))
    trainer = make_trainer(prepared, args, run_dir, resume=ns.resume)
    evaluated = time.perf_counter()
    before = {} if ns.resume else record_baseline(trainer, run_dir)
    eval_s = 0.0 if ns.resume else time.perf_counter() - evaluated
    stop_after(trainer, ns.max_minutes)

    def postfix(metrics: dict[str, float]) -> dict[str, str]:
        return {
            "mlm": f"{metrics['mlm_loss']:.3f}",
            "mlm_acc": f"{metrics['mlm_acc']:.3f}",
            "nsp": f"{metrics['nsp_loss']:.3f}",
            "nsp_acc": f"{metrics['nsp_acc']:.3f}",
            "tok_s": f"{metrics['tokens_per_s']:.0f}",
        }

    def finish(train_s: float) -> str:
        if not trainer.dist.is_main:
            return ""
        info = run_dir.update_info(
            status=trainer.status,
            steps=trainer.global_step,
            final_eval=trainer.last_eval,
            device=str(trainer.device),
            world_size=trainer.dist.world_size,
        )
        base = before or info.get("eval_before", {})
        return (
            f"{trainer.status} at step {info['steps']}; held-out (before -> after): "
            + ", ".join(
                f"{k}={base.get(k, float('nan')):.4f} -> {v:.4f}" for k, v in trainer.last_eval.items() if k != "step"
            )
            + f"\ncheckpoint: {run_dir.latest_checkpoint()}"
        )

    return PreparedRun(trainer, "pretraining", postfix, finish, ns.quiet, time.perf_counter() - started, eval_s)
