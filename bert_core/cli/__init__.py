"""`python -m bert_core …`: pretrain, fine-tune, evaluate, export and prepare a lesson's demo runs from the command
line (works under torchrun)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from .io import is_disk_full

if TYPE_CHECKING:
    from .training import Trainer

EXPORT_FILES = (
    "config.json",
    "model.safetensors",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def _pretrain_parser(sub: argparse._SubParsersAction) -> None:
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


def _export_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a run's latest weights as a Hugging Face model directory or zip",
        description="Copy the model files of a run's latest checkpoint (no optimizer state) "
        "into a directory, or a .zip, loadable by transformers' from_pretrained.",
    )
    p.add_argument("run", help="run directory or model directory")
    p.add_argument("--out", required=True, help="target directory, or a path ending in .zip")


def _finetune_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "finetune",
        help="fine-tune for sentiment classification or extractive QA",
        description="Fine-tune a pretrained (or random) BERT with a fresh head; evaluates on the dev "
        "split after every epoch and writes checkpoints and run.json into --out.",
    )
    p.add_argument("--task", choices=["sentiment", "qa"], help="required unless --resume")
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


def _evaluate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a fine-tuned model; prints the metrics as JSON",
        description="Score a fine-tuned run or model directory on a data set (a built-in set's dev "
        "split, or a whole file) and print the metrics as JSON on stdout.",
    )
    p.add_argument("--task", required=True, choices=["sentiment", "qa"])
    p.add_argument("--model", required=True, help="run or model directory")
    p.add_argument("--data", required=True, help="builtin:... or a data file (as for finetune)")
    p.add_argument("--split", default="dev", choices=["dev", "train"], help="split of a built-in set")
    p.add_argument("--max-seq-len", type=int, help="default: the run's setting")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--text-column")
    p.add_argument("--label-column")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bert_core", description="bert_core: BERT from scratch.")
    sub = parser.add_subparsers(dest="command", required=True)
    _pretrain_parser(sub)
    _export_parser(sub)
    _finetune_parser(sub)
    _evaluate_parser(sub)
    from .demo import add_demo_parser  # demo drives this module's runs: import it late

    add_demo_parser(sub)
    return parser


@dataclass
class PreparedRun:
    """A `pretrain` or `finetune` run set up from parsed flags, its baseline evaluated, ready to step.

    `train` drives it to the end; `demo` drives several of these under one progress bar.
    """

    trainer: Trainer
    desc: str  # the progress bar's label
    postfix: Callable[[dict[str, float]], dict[str, str]]  # a step's metrics → the bar's postfix
    finish: Callable[[float], str]  # seconds spent training → run.json's final record, and the summary to print
    quiet: bool
    setup_s: float = 0.0  # seconds spent preparing data, model and the baseline evaluation
    eval_s: float = 0.0  # seconds the baseline evaluation took (0 when skipped)

    def train(self) -> None:
        """Train to the end (or --max-minutes), with a progress bar unless quiet, and print the summary."""
        started = time.perf_counter()
        bar = tqdm(
            total=self.trainer.args.max_steps,
            initial=self.trainer.global_step,
            disable=self.quiet or not self.trainer.dist.is_main,
            desc=self.desc,
            unit="step",
            dynamic_ncols=True,
        )
        for metrics in self.trainer:
            bar.update(1)
            bar.set_postfix(self.postfix(metrics))
        bar.close()
        summary = self.finish(time.perf_counter() - started)
        if summary:
            print(summary)


def _stop_after(trainer: Trainer, minutes: float | None) -> None:
    if minutes:
        timer = threading.Timer(minutes * 60, trainer.stop_event.set)
        timer.daemon = True
        timer.start()


def _pretrain(ns: argparse.Namespace) -> int:
    prepare_pretrain_run(ns).train()
    return 0


def prepare_pretrain_run(ns: argparse.Namespace) -> PreparedRun:
    """Set up the `pretrain` run that parsed flags `ns` describe (data, model, run.json, baseline)."""
    from .checkpoint import RunDirectory
    from .pretraining_setup import PretrainSpec, make_trainer, prepare_pretraining, record_baseline
    from .training import TrainingArguments

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
    _stop_after(trainer, ns.max_minutes)

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


def _export(ns: argparse.Namespace) -> int:
    from .checkpoint import resolve_model_dir

    source = resolve_model_dir(ns.run)
    files = [source / name for name in EXPORT_FILES if (source / name).is_file()]
    out = Path(ns.out)
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, arcname=file.name)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copy2(file, out / file.name)
    print(f"exported {', '.join(f.name for f in files)} from {source} to {out}")
    return 0


def _finetune(ns: argparse.Namespace) -> int:
    prepare_finetune_run(ns).train()
    return 0


def prepare_finetune_run(ns: argparse.Namespace) -> PreparedRun:
    """Set up the `finetune` run that parsed flags `ns` describe (data, model, run.json, baseline)."""
    from .checkpoint import RunDirectory
    from .finetune_setup import finetune_arguments, make_finetune_trainer, prepare_finetuning, resume_finetuning

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
        data = ns.data or ("builtin:rotten_tomatoes" if ns.task == "sentiment" else "builtin:qa")
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
            say("before: " + _fmt(before))
    eval_s = time.perf_counter() - evaluated if before and not ns.resume else 0.0
    trainer.add_callback("on_evaluate", lambda t, m: say(f"step {t.global_step}: " + _fmt(m)))
    _stop_after(trainer, ns.max_minutes)
    task = prepared.spec.task  # from run.json when resuming
    key = "cls" if task == "sentiment" else "qa"
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


def _fmt(metrics: dict) -> str:
    return ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "step" and isinstance(v, float))


def _evaluate(ns: argparse.Namespace) -> int:
    from .finetune_setup import evaluate_model

    metrics = evaluate_model(
        ns.task,
        ns.model,
        ns.data,
        split=ns.split,
        max_seq_length=ns.max_seq_len,
        batch_size=ns.batch_size,
        text_column=ns.text_column,
        label_column=ns.label_column,
    )
    print(json.dumps(metrics, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code. Expected errors print one line and exit 2."""
    ns = build_parser().parse_args(argv)
    from .demo import run_demo

    handlers = {
        "pretrain": _pretrain,
        "export": _export,
        "finetune": _finetune,
        "evaluate": _evaluate,
        "demo": run_demo,
    }
    try:
        return handlers[ns.command](ns)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, OSError) as exc:  # CorpusError is a ValueError
        if is_disk_full(exc):
            out = getattr(ns, "out", None)
            print(
                f"error: the disk is full (no space left on device writing {out or exc.filename}). The newest "
                f"checkpoint{f' in {out}' if out else ''} is intact: free some space, then run the same "
                "command with --resume.",
                file=sys.stderr,
            )
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        from .distributed import cleanup

        cleanup()
