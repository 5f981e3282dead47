"""Starting points of a fine-tuning run: the packaged MiniLM, a run or model directory, random weights, the Hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ..assets import minilm_dir
from ..checkpoint import resolve_model_dir
from ..config import BertConfig
from ..device import pick_device
from ..memory import run_refusal
from ..model import BertModel, BertPreTrainedModel
from ..tokenizer.encoding import Tokenizer

__all__ = ["freeze_bottom", "load_start_model", "memory_refusal", "resolve_init"]

_HUB_FILES = ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json"]


def _hub_download(name: str) -> Path:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ValueError(f"cannot download {name!r} from the Hugging Face Hub: offline mode (HF_HUB_OFFLINE=1)")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, allow_patterns=_HUB_FILES))
    except Exception as err:  # noqa: BLE001 - offline, unknown name, no safetensors: one message for a user
        raise ValueError(
            f"cannot download {name!r} from the Hugging Face Hub; are you offline? "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None


def resolve_init(init: str) -> Path | None:
    """The model directory of a starting point; None for `random` (which uses MiniLM's config and vocabulary).

    Raises:
        FileNotFoundError: a directory that is neither a model nor a run; ValueError: Hub offline.
    """
    if init == "random":
        return None
    if init == "builtin:minilm":
        return minilm_dir()
    if init.startswith("hub:"):
        return _hub_download(init.removeprefix("hub:"))
    return resolve_model_dir(init)


def load_start_model(
    cls: type[BertPreTrainedModel],
    init: str,
    *,
    head: dict[str, Any] | None = None,
    dropout: float | None = None,
    seed: int = 0,
) -> tuple[BertPreTrainedModel, Tokenizer, str]:
    """(model with a fresh task head, its tokenizer, source directory or "") for a starting point.

    Args:
        cls: the task model (`FinetuneTask.model_class`); head: its config overrides (`FinetuneTask.head_config`).
    """
    source = resolve_init(init)
    overrides: dict[str, Any] = dict(head or {})
    if dropout is not None:
        overrides.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    torch.manual_seed(seed)  # the fresh head (and a random encoder) start the same for the same seed
    if source is None:
        config = BertConfig.from_json(minilm_dir())
        config = BertConfig.from_dict({**config.to_dict(), **overrides})
        return cls(config), Tokenizer.from_pretrained(minilm_dir()), ""
    model = cls.from_pretrained(source, ignore_mismatched_sizes=True, **overrides)
    return model, Tokenizer.from_pretrained(source), str(source)


def freeze_bottom(model: BertPreTrainedModel, layers: int) -> None:
    """Keep the embeddings and the first `layers` transformer layers fixed (no gradient, no update).

    Nothing below layer `layers` then needs a gradient, so backward stops there: a step costs their
    forward only, and AdamW skips their parameters (the word embeddings alone are half of MiniLM's).

    Raises:
        ValueError: `layers` is more than the model has.
    """
    bert = model.bert
    assert isinstance(bert, BertModel)  # a task model's encoder; `nn.Module` types its attributes `Tensor | Module`
    encoder_layers = bert.encoder.layer
    if not 0 <= layers <= len(encoder_layers):
        raise ValueError(f"freeze_layers must be between 0 and {len(encoder_layers)}, got {layers}")
    if layers == 0:
        return
    for module in [bert.embeddings, *encoder_layers[:layers]]:
        module.requires_grad_(False)


def memory_refusal(task: str, init: str, batch_size: int, max_seq_length: int, device: str = "auto") -> str | None:
    """Why fine-tuning `init` for `task` ("sentiment" or "qa") at batch × length cannot fit in the memory
    left (the estimate in the message), or None. A starting point that cannot be resolved (a Hub model
    offline) is not judged here: loading it reports its own error."""
    if init.startswith("hub:"):
        return None
    try:
        source = resolve_init(init)
    except (OSError, ValueError):
        return None
    config = BertConfig.from_json((source or minilm_dir()) / "config.json")
    return run_refusal(config, pick_device(device), task=task, batch_size=batch_size, seq_len=max_seq_length)
