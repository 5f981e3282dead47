"""`python -m bert_core …`: pretrain, fine-tune, evaluate, export and prepare a lesson's demo runs from the command
line (works under torchrun). One module per command (`pretrain`, `finetune`, `evaluate`, `export`, `demo`), each
with `add_parser(sub)` and `run(ns) -> exit code`; `run` holds what the training commands share."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..distributed import cleanup
from ..io import is_disk_full
from . import demo, evaluate, explain, export, finetune, pretrain, probe

__all__ = ["build_parser", "main"]

COMMANDS = {
    "pretrain": pretrain,
    "export": export,
    "finetune": finetune,
    "evaluate": evaluate,
    "demo": demo,
    "explain": explain,
    "probe": probe,
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(prog="python -m bert_core", description="bert_core: BERT from scratch.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code. Expected errors print one line and exit 2."""
    ns = build_parser().parse_args(argv)
    try:
        return COMMANDS[ns.command].run(ns)
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
        cleanup()
