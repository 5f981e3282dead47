"""`python -m bert_core pretrain`: flags, and the run they describe."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..checkpoint import RunDirectory
from ..pretraining.recipes import DEFAULTS, RECIPES, build, settings
from ..pretraining.setup import make_trainer, memory_refusal, prepare_pretraining, record_baseline
from ..pretraining.timelapse import DEFAULT_PROBES, TimelapseRecorder, timelapse_words
from ..training.budget import TimeBudget
from .run import PreparedRun


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pretrain",
        help="pretrain a BERT with MLM + NSP",
        description="Pretrain a BERT with masked-LM and next-sentence prediction. Writes "
        "checkpoints in Hugging Face layout into --out. --recipe NAME starts from a named recipe's "
        "settings; any flag given explicitly wins over the recipe.",
        argument_default=argparse.SUPPRESS,  # flags not given fall back to the recipe, then to DEFAULTS
    )
    d = DEFAULTS
    p.add_argument("--recipe", choices=sorted(RECIPES), help="a named recipe, e.g. classroom (5 minutes on a laptop)")
    data = p.add_argument_group("data")
    data.add_argument(
        "--corpus",
        help=f"builtin:lee | builtin:news | builtin:wiki | a .txt/.csv/.tsv/.jsonl/.zip file (default {d['corpus']})",
    )
    data.add_argument("--text-column", help="text column of a .csv/.tsv/.jsonl corpus")
    data.add_argument("--seq-len", type=int, help=f"tokens per training sequence (default {d['seq_len']})")
    data.add_argument("--wwm", action=argparse.BooleanOptionalAction, help="whole-word masking (default off)")
    data.add_argument("--mask-rate", type=float, help=f"share of tokens masked (default {d['mask_rate']})")
    data.add_argument(
        "--max-predictions", type=int, help=f"masked tokens per sequence at most (default {d['max_predictions']})"
    )
    data.add_argument(
        "--eval-fraction", type=float, help=f"documents held out for evaluation (default {d['eval_fraction']})"
    )
    model = p.add_argument_group("model")
    model.add_argument("--preset", choices=["tiny", "mini", "small", "medium", "base"], help=f"(default {d['preset']})")
    model.add_argument("--layers", type=int, help="custom number of layers")
    model.add_argument("--hidden", type=int, help="custom hidden size")
    model.add_argument("--heads", type=int, help="custom number of attention heads")
    model.add_argument("--dropout", type=float, help=f"(default {d['dropout']})")
    model.add_argument(
        "--init",
        help="start from a run/model directory or builtin:minilm instead of random weights "
        "(keeps its vocabulary; missing MLM/NSP heads are created fresh)",
    )
    model.add_argument(
        "--freeze-encoder-steps",
        type=int,
        help="keep the encoder fixed for the first N steps so fresh heads catch up (with --init)",
    )
    model.add_argument(
        "--vocab",
        choices=["stock", "train"],
        help="stock uncased vocabulary, or train a WordPiece vocabulary on the corpus (default stock)",
    )
    model.add_argument("--vocab-size", type=int, help=f"size of a trained vocabulary (default {d['vocab_size']})")
    opt = p.add_argument_group("optimisation")
    opt.add_argument("--steps", type=int, help=f"optimizer steps (default {d['steps']}; with --max-minutes, at most)")
    opt.add_argument("--batch-size", type=int, help=f"sequences per step and per process (default {d['batch_size']})")
    opt.add_argument("--grad-accum", type=int, help="micro-batches per step (default 1)")
    opt.add_argument("--lr", type=float, help=f"peak learning rate (default {d['lr']})")
    opt.add_argument("--warmup", type=int, help="warmup steps (default: 10%% of --steps)")
    opt.add_argument("--weight-decay", type=float, help=f"(default {d['weight_decay']})")
    opt.add_argument("--seed", type=int, help="(default 0)")
    opt.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], help="(default auto)")
    opt.add_argument("--device", help="auto | cpu | cuda | mps (default auto)")
    opt.add_argument("--compile", action="store_true", help="torch.compile the model (slow start)")
    opt.add_argument(
        "--max-minutes",
        type=float,
        help="train for this much wall time: the steps are fitted to it after the first ones are timed, "
        "so the learning-rate schedule ends on time (evaluation included), then save",
    )
    run = p.add_argument_group("run")
    run.add_argument("--out", required=True, help="run directory")
    run.add_argument("--save-every", type=int, help="checkpoint every N steps (always at the end)")
    run.add_argument("--eval-every", type=int, help="held-out evaluation every N steps")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    run.add_argument("--cache-dir", help="tokenised-corpus cache (default ~/.cache/bert_explorer)")
    run.add_argument(
        "--timelapse-frames",
        type=int,
        default=30,
        help="snapshots of attention, word vectors and guesses kept for the Explorer's time-lapse (0: none)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def resolved_settings(ns: argparse.Namespace) -> dict[str, Any]:
    """The run's settings: DEFAULTS, then the --recipe, then the flags given explicitly."""
    given = {k: v for k, v in vars(ns).items() if k in DEFAULTS}
    return settings(getattr(ns, "recipe", None), **given)


def run(ns: argparse.Namespace) -> int:
    prepare_pretrain_run(ns).train()
    return 0


def prepare_pretrain_run(ns: argparse.Namespace) -> PreparedRun:
    """Set up the `pretrain` run that parsed flags `ns` describe (data, model, run.json, baseline)."""

    values = resolved_settings(ns)
    spec, args = build(values)
    run_dir = RunDirectory(ns.out)
    resume, quiet = getattr(ns, "resume", False), getattr(ns, "quiet", False)
    if not resume and run_dir.checkpoints():
        raise ValueError(f"{ns.out} already holds a run: pass --resume to continue it, or choose another --out")
    started = time.perf_counter()
    message = memory_refusal(spec, values["device"])
    if message:
        raise ValueError(message)  # before reading the corpus: a run that cannot fit fails in a second
    prepared = prepare_pretraining(spec, progress=None if quiet else lambda m: print(m, file=sys.stderr))
    trainer = make_trainer(prepared, args, run_dir, resume=resume)
    evaluated = time.perf_counter()
    before = {} if resume else record_baseline(trainer, run_dir)
    eval_s = 0.0 if resume else time.perf_counter() - evaluated
    frames = getattr(ns, "timelapse_frames", 30)
    if frames and trainer.dist.is_main:
        words, groups = timelapse_words(prepared.corpus.texts(), prepared.tokenizer)
        TimelapseRecorder(run_dir.path, prepared.tokenizer, DEFAULT_PROBES, words, groups, frames).attach(trainer)
    if values["max_minutes"]:
        TimeBudget(values["max_minutes"], eval_s=eval_s).attach(trainer)

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

    return PreparedRun(trainer, "pretraining", postfix, finish, quiet, time.perf_counter() - started, eval_s)
