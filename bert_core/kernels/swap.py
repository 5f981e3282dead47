"""`use_fast_path(model)`: swap the CPU kernels into a model built from stock PyTorch modules.

In the spirit of Hugging Face's `attn_implementation`: the reference classes stay untouched and the
fast path swaps in. Each module's *class* is replaced in place (`module.__class__ = ...`), so its
parameters, buffers, tied weights and state-dict names stay exactly as they were:

    nn.Linear  → FastLinear    products on oneDNN where measured faster than MKL (`.gemm`)
    nn.Dropout → FastDropout   `rand`-mask dropout on the CPU
    a module with a `linear_fn` hook (e.g. attention's fused QKV projection) → the same product kernel
    a module with a `decoder_loss_fn` hook (the MLM head) → the fused decoder + cross-entropy

Only exact `nn.Linear` / `nn.Dropout` instances are swapped (a subclass keeps its own forward).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

from .dropout import FastDropout
from .linear import FastLinear, linear
from .mlm_loss import decoder_cross_entropy

M = TypeVar("M", bound=nn.Module)

_FAST_MODULES: dict[type, type] = {nn.Linear: FastLinear, nn.Dropout: FastDropout}
# Class attributes a model module can expose as a hook: name → the fast function that replaces it.
_FAST_HOOKS: dict[str, Callable[..., Any]] = {"linear_fn": linear, "decoder_loss_fn": decoder_cross_entropy}
_generated: dict[type, type] = {}


def _fast_class(cls: type) -> type | None:
    """The fast counterpart of `cls`, or None when there is none (or `cls` is already fast)."""
    if "reference_class" in vars(cls):
        return None
    if cls in _FAST_MODULES:
        return _FAST_MODULES[cls]
    hooks = {name: staticmethod(fn) for name, fn in _FAST_HOOKS.items() if hasattr(cls, name)}
    if not hooks:
        return None
    if cls not in _generated:
        name = f"Fast{cls.__name__}"
        fast = type(name, (cls,), {**hooks, "reference_class": cls, "__module__": __name__, "__qualname__": name})
        globals()[name] = fast  # importable by name, so a pickled model still unpickles
        _generated[cls] = fast
    return _generated[cls]


def use_fast_path(model: M, enabled: bool = True) -> M:
    """Swap the fast CPU kernels into every submodule of `model` (or, with `enabled=False`, swap the
    reference modules back). In place; returns `model`. The state dict is unchanged either way.

    The fast modules take their fast route only for fp32 CPU tensors outside autocast and
    `torch.compile`; elsewhere they run exactly the reference computation.
    """
    for module in model.modules():
        cls = type(module)
        target = _fast_class(cls) if enabled else vars(cls).get("reference_class")
        if target is not None:
            module.__class__ = target
    return model


def uses_fast_path(model: nn.Module) -> bool:
    """Whether any submodule of `model` runs a fast kernel class."""
    return any("reference_class" in vars(type(module)) for module in model.modules())
