"""What every model class shares: weight initialisation and Hugging Face-layout save/load."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from ..checkpoint import resolve_model_dir
from ..config import BertConfig
from ..io import atomic_write
from ..kernels import use_fast_path
from .heads import BertLMPredictionHead

logger = logging.getLogger(__name__)
WEIGHTS_NAME = "model.safetensors"
M = TypeVar("M", bound="BertPreTrainedModel")

# Buffers some checkpoints carry that are recomputed here, and legacy TF-era names.
_IGNORED_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
_LEGACY_RENAMES = ((".gamma", ".weight"), (".beta", ".bias"))


class BertPreTrainedModel(nn.Module):
    """Base class: `config`, `_init_weights`, `from_pretrained` and `save_pretrained`."""

    base_prefix = "bert."  # where the encoder lives in task models ("" for BertModel itself)
    tied_keys: tuple[str, ...] = ()  # state-dict entries that alias another entry; not saved

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.loading_report: dict[str, list[str]] = {"missing": [], "unexpected": []}

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.normal_(0.0, std)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, std)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
        elif isinstance(module, BertLMPredictionHead):
            module.bias.zero_()

    def init_weights(self) -> None:
        """Initialise every weight as BERT does (normal(0, initializer_range), LayerNorm 1/0)."""
        self.apply(self._init_weights)

    def post_init(self) -> None:
        """End of every model's `__init__`: initialise the weights, then swap in the CPU fast path
        (`bert_core.kernels.use_fast_path`: same parameters and state dict, faster kernels for fp32
        on the CPU; `use_fast_path(model, False)` gives back the stock PyTorch modules)."""
        self.init_weights()
        use_fast_path(self)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def num_parameters(self) -> int:
        """Number of distinct parameters (tied ones counted once)."""
        return sum(p.numel() for p in self.parameters())

    # ---------------------------------------------------------------- save / load
    def save_pretrained(self, path: str | Path) -> None:
        """Write `config.json` and `model.safetensors` into directory `path` (each file atomically).

        The files load in `transformers` (`BertForPreTraining.from_pretrained(path)`, etc.).
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        config = BertConfig.from_dict(self.config.to_dict())
        config.extra["architectures"] = [type(self).__name__]
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if k not in self.tied_keys}
        atomic_write(path / WEIGHTS_NAME, lambda tmp: save_file(state, str(tmp), metadata={"format": "pt"}))
        atomic_write(path / "config.json", config.to_json)

    @classmethod
    def from_pretrained(
        cls: type[M], path: str | Path, *, ignore_mismatched_sizes: bool = False, **config_overrides: Any
    ) -> M:
        """Load a Hugging Face BERT directory (`config.json` + `model.safetensors`).

        Works across classes: a `BertModel` checkpoint (keys without `bert.`) loads into a task model,
        whose missing head is freshly initialised and listed in `loading_report["missing"]`; a task
        checkpoint loads into `BertModel` with its heads ignored. Never unpickles anything.

        Args:
            path: a model directory, or a run directory (its latest checkpoint is used).
            ignore_mismatched_sizes: re-initialise weights whose shape differs (e.g. another num_labels)
                instead of raising.
            **config_overrides: config fields to change, e.g. `num_labels=3`.

        Raises:
            FileNotFoundError: no config.json or no model.safetensors in `path`.
            ValueError: the weights don't fit the config.
        """
        path = resolve_model_dir(path)
        config = BertConfig.from_json(path)
        if config_overrides:
            config = BertConfig.from_dict({**config.to_dict(), **config_overrides})
        model = cls(config)
        weights = path / WEIGHTS_NAME
        if not weights.is_file():
            hint = (
                " (pytorch_model.bin is never unpickled: convert it to safetensors)"
                if (path / "pytorch_model.bin").exists()
                else ""
            )
            raise FileNotFoundError(f"no {WEIGHTS_NAME} in {path}{hint}")
        with safe_open(str(weights), framework="pt") as handle:
            state = {key: handle.get_tensor(key) for key in handle.keys()}
        model.load_hf_state_dict(state, ignore_mismatched_sizes=ignore_mismatched_sizes)
        return model

    def load_hf_state_dict(self, state: dict[str, Tensor], *, ignore_mismatched_sizes: bool = False) -> None:
        """Load a state dict from any BERT class, adapting the `bert.` prefix; see `from_pretrained`."""
        state = self._adapt_keys(state)
        own = self.state_dict()
        mismatched = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
        if mismatched and not ignore_mismatched_sizes:
            details = ", ".join(
                f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in mismatched
            )
            raise ValueError(f"checkpoint does not fit the config: {details}")
        for key in mismatched:
            del state[key]
        result = self.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if k not in self.tied_keys]
        self.loading_report = {"missing": missing + mismatched, "unexpected": list(result.unexpected_keys)}
        if missing or mismatched:
            logger.info("freshly initialised (not in checkpoint): %s", missing + mismatched)
        if result.unexpected_keys:
            logger.info("ignored checkpoint weights: %s", list(result.unexpected_keys))

    def _adapt_keys(self, state: dict[str, Tensor]) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        has_prefix = any(k.startswith("bert.") for k in state)
        for key, value in state.items():
            if key.endswith(_IGNORED_SUFFIXES):
                continue
            for old, new in _LEGACY_RENAMES:
                if key.endswith(old) and "LayerNorm" in key:
                    key = key[: -len(old)] + new
            if self.base_prefix and not has_prefix and key.split(".")[0] in ("embeddings", "encoder", "pooler"):
                key = self.base_prefix + key
            elif not self.base_prefix and has_prefix:
                if not key.startswith("bert."):
                    continue  # a head: BertModel has none
                key = key[len("bert.") :]
            out[key] = value
        return out
