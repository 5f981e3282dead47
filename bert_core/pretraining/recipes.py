"""Named pretraining recipes: one set of settings shared by `python -m bert_core pretrain --recipe NAME` and
the Explorer's Pretrain page, so that both train the same model from the same seed.

A recipe is a dict of `pretrain` flag values (argparse destinations) laid over `DEFAULTS`; a flag given
explicitly on the command line wins over the recipe. `build` turns the resolved settings into the
`PretrainSpec` (data and model) and `TrainingArguments` (optimisation) that the CLI and the app both train.
"""

from __future__ import annotations

from typing import Any

from ..training import TrainingArguments
from .setup import PretrainSpec

__all__ = ["DEFAULTS", "RECIPES", "build", "settings"]

# The `pretrain` command's defaults (without --recipe).
DEFAULTS: dict[str, Any] = {
    "corpus": "builtin:lee",
    "text_column": None,
    "seq_len": 128,
    "wwm": False,
    "mask_rate": 0.15,
    "max_predictions": 20,
    "eval_fraction": 0.05,
    "preset": "mini",
    "layers": None,
    "hidden": None,
    "heads": None,
    "dropout": 0.1,
    "init": None,
    "freeze_encoder_steps": 0,
    "vocab": "stock",
    "vocab_size": 8000,
    "steps": 1000,
    "batch_size": 32,
    "grad_accum": 1,
    "lr": 5e-4,
    "warmup": None,  # 10% of the steps
    "weight_decay": 0.01,
    "seed": 0,
    "precision": "auto",
    "device": "auto",
    "compile": False,
    "max_minutes": None,
    "save_every": 0,
    "eval_every": 0,
    "cache_dir": None,
}

# classroom: what a 2-core laptop learns in 5 minutes, chosen by the experiments in docs/pretraining.md ("The
# classroom recipe"): the 2.1M-word news corpus with a vocabulary trained on it, a tiny model (the fastest to
# leave the "the , ." stage per second), short sequences, small batches (more updates a second), 30% of the
# tokens masked (twice the targets a step for ~10% more time), no dropout (5 minutes cannot overfit 2M words).
RECIPES: dict[str, dict[str, Any]] = {
    "classroom": {
        "corpus": "builtin:news",
        "vocab": "train",
        "vocab_size": 8000,
        "preset": "tiny",
        "seq_len": 64,
        "batch_size": 16,
        "mask_rate": 0.3,
        "dropout": 0.0,
        "lr": 1e-3,
        "warmup": 60,
        "steps": 20_000,  # an upper bound: the time budget fits the real number of steps
        "max_minutes": 5.0,
        "save_every": 1000,
    },
}


def settings(recipe: str | None = None, **overrides: Any) -> dict[str, Any]:
    """`DEFAULTS`, then the recipe's values, then `overrides` (the flags given explicitly).

    Raises:
        ValueError: an unknown recipe or setting name.
    """
    if recipe is not None and recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; recipes are {sorted(RECIPES)}")
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown pretraining settings {unknown}")
    return {**DEFAULTS, **(RECIPES[recipe] if recipe else {}), **overrides}


def build(values: dict[str, Any]) -> tuple[PretrainSpec, TrainingArguments]:
    """The data/model spec and the optimisation arguments of resolved `settings(...)`."""
    spec = PretrainSpec(
        corpus=values["corpus"],
        text_column=values["text_column"],
        preset=values["preset"],
        num_hidden_layers=values["layers"],
        hidden_size=values["hidden"],
        num_attention_heads=values["heads"],
        dropout=values["dropout"],
        init=values["init"],
        vocab=values["vocab"],
        vocab_size=values["vocab_size"],
        max_seq_length=values["seq_len"],
        whole_word_masking=values["wwm"],
        mlm_probability=values["mask_rate"],
        max_predictions=values["max_predictions"],
        eval_fraction=values["eval_fraction"],
        batch_size=values["batch_size"],
        seed=values["seed"],
        cache_dir=values["cache_dir"],
    )
    steps = values["steps"]
    args = TrainingArguments(
        max_steps=steps,
        learning_rate=values["lr"],
        warmup_steps=values["warmup"] if values["warmup"] is not None else steps // 10,
        weight_decay=values["weight_decay"],
        gradient_accumulation_steps=values["grad_accum"],
        seed=values["seed"],
        precision=values["precision"],
        device=values["device"],
        eval_every=values["eval_every"],
        save_every=values["save_every"],
        compile=values["compile"],
        freeze_encoder_steps=values["freeze_encoder_steps"],
    )
    return spec, args
