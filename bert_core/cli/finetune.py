"""`python -m bert_core finetune`: flags, and the run they describe."""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..checkpoint import RunDirectory
from ..finetuning.registry import TASKS, get_task
from ..finetuning.setup import finetune_arguments, make_finetune_trainer, prepare_finetuning, resume_finetuning
from ..finetuning.start import memory_refusal
from .run import PreparedRun, format_metrics, stop_after


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "finetune",
        help="fine-tune for sentiment classification or extractive QA",
        description="Fine-tune a pretrained (or random) BERT with a fresh head; evaluates on the dev "
        "split after every epoch and writes checkpoints and run.json into --out.",
    )
    p.add_argument("--task", choices=list(TASKS), help="required unless --resume")
    p.add_argument(
        "--init",
        default="builtin:minilm",
        help="builtin:minilm | random | hub:NAME (online) | a run or model directory",
    )
    p.add_argument(
        "--data",
        help="builtin:rotten_tomatoes | builtin:pang_lee (sentiment); builtin:qa | builtin:cloze "
        "| builtin:cloze-news | hub:squad (qa); or a .csv/.tsv/.jsonl / SQuAD .json file "
        "(default: builtin:rotten_tomatoes or builtin:qa)",
    )
    p.add_argument("--text-column", help="text column of a sentiment file (default: guessed)")
    p.add_argument("--label-column", help="label column of a sentiment file (default: guessed)")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="share of a file held out for evaluation")
    p.add_argument("--max-seq-len", type=int, help="tokens per sequence (default 128 sentiment, 384 qa)")
    p.add_argument("--doc-stride", type=int, default=128, help="qa: overlap of context windows, in tokens")
    p.add_argument("--max-query-len", type=int, default=64, help="qa: question tokens kept")
    p.add_argument("--max-answer-len", type=int, default=30, help="qa: longest answer in tokens")
    p.add_argument("--cloze-questions", type=int, default=2000, help="questions generated for builtin:cloze")
    p.add_argument("--dropout", type=float, help="dropout (default: the starting point's)")
    p.add_argument(
        "--epochs",
        type=float,
        help="passes over the training set (default: the task's recipe: 3 "
        "sentiment; qa fitted to the data size, 10 for builtin:qa)",
    )
    p.add_argument("--max-steps", type=int, help="stop after this many steps (overrides --epochs)")
    p.add_argument("--batch-size", type=int, help="default: the task's recipe (32 sentiment, 16 qa)")
    p.add_argument("--lr", type=float, help="peak learning rate (default: the task's recipe, 5e-5 sentiment, 2e-4 qa)")
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--freeze-encoder-steps", type=int, default=0, help="train only the new head for N steps first")
    p.add_argument(
        "--freeze-layers",
        type=int,
        help="keep the embeddings and the first N layers fixed (default: the task's recipe: 0 sentiment, 2 qa)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--max-minutes", type=float, help="stop (and save) after this much wall time")
    p.add_argument("--no-baseline", action="store_true", help="skip evaluating the untrained model first")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last checkpoint, with the settings it was started "
        "with (the other data, model and training flags are ignored)",
    )
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(ns: argparse.Namespace) -> int:
    prepare_finetune_run(ns).train()
    return 0


def prepare_finetune_run(ns: argparse.Namespace) -> PreparedRun:
    """Set up the `finetune` run that parsed flags `ns` describe (data, model, run.json, baseline)."""

    run_dir = RunDirectory(ns.out)
    progress = None if ns.quiet else lambda m: print(m, file=sys.stderr)
    started = time.perf_counter()
    if ns.resume:
        prepared, args = resume_finetuning(run_dir, progress=progress)
    elif run_dir.checkpoints():
        raise ValueError(f"{ns.out} already holds a run: pass --resume to continue it, or choose another --out")
    elif ns.task is None:
        raise ValueError("finetune needs --task sentiment or --task qa (or --resume to continue a run)")
    else:
        kind = get_task(ns.task)
        message = memory_refusal(
            kind.name,
            ns.init,
            ns.batch_size or kind.recipe.batch_size,
            ns.max_seq_len or kind.default_max_seq_length,
            ns.device,
        )
        if message:
            raise ValueError(message)  # before reading the data: a run that cannot fit fails in a second
        data = ns.data or get_task(ns.task).default_data
        prepared = prepare_finetuning(
            ns.task,
            ns.init,
            data,
            progress=progress,
            text_column=ns.text_column,
            label_column=ns.label_column,
            dev_fraction=ns.dev_fraction,
            max_seq_length=ns.max_seq_len,
            doc_stride=ns.doc_stride,
            max_query_length=ns.max_query_len,
            max_answer_length=ns.max_answer_len,
            cloze_questions=ns.cloze_questions,
            dropout=ns.dropout,
            batch_size=ns.batch_size,
            seed=ns.seed,
            freeze_layers=ns.freeze_layers,
        )
        args = finetune_arguments(
            prepared,
            epochs=ns.epochs,
            learning_rate=ns.lr,
            warmup_ratio=ns.warmup_ratio,
            max_steps=ns.max_steps,
            weight_decay=ns.weight_decay,
            precision=ns.precision,
            device=ns.device,
            freeze_encoder_steps=ns.freeze_encoder_steps,
        )
    trainer = make_finetune_trainer(prepared, args, run_dir, resume=ns.resume)
    main = trainer.dist.is_main
    say = (lambda m: None) if ns.quiet or not main else (lambda m: print(m, file=sys.stderr))
    say(
        f"{prepared.data_info}; {prepared.steps_per_epoch} steps per epoch, {args.max_steps} steps"
        + (f"; resuming at step {trainer.global_step}" if ns.resume else "")
    )
    evaluated = time.perf_counter()
    if ns.resume:
        before = run_dir.read_info().get("eval_before", {})
    else:
        before = {} if ns.no_baseline else trainer.evaluate()
        if before and main:
            run_dir.update_info(eval_before=before)
            say("before: " + format_metrics(before))
    eval_s = time.perf_counter() - evaluated if before and not ns.resume else 0.0
    trainer.add_callback("on_evaluate", lambda t, m: say(f"step {t.global_step}: " + format_metrics(m)))
    stop_after(trainer, ns.max_minutes)
    task = prepared.spec.task  # from run.json when resuming
    key = prepared.finetune_task.metric
    setup_s = time.perf_counter() - started

    def postfix(metrics: dict[str, float]) -> dict[str, str]:
        return {
            "loss": f"{metrics['loss']:.3f}",
            "acc": f"{metrics[key + '_acc']:.3f}",
            "epoch": f"{metrics['step'] / prepared.steps_per_epoch:.2f}",
        }

    def finish(train_s: float) -> str:
        if not main:
            return ""
        info = run_dir.update_info(
            status=trainer.status,
            steps=trainer.global_step,
            final_eval=trainer.last_eval,
            wall_time_s=round(setup_s + train_s, 1),
            device=str(trainer.device),
            world_size=trainer.dist.world_size,
        )
        return json.dumps(
            {
                "status": info["status"],
                "steps": info["steps"],
                "wall_time_s": info["wall_time_s"],
                "eval_before": before,
                "final_eval": trainer.last_eval,
                "checkpoint": str(run_dir.latest_checkpoint()),
            },
            indent=2,
        )

    return PreparedRun(trainer, f"fine-tuning ({task})", postfix, finish, ns.quiet, setup_s, eval_s)
