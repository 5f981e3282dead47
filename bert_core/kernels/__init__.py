"""The CPU fast path: faster kernels swapped into a model built from stock PyTorch modules.

    from bert_core.kernels import use_fast_path
    use_fast_path(model)          # nn.Linear → FastLinear, nn.Dropout → FastDropout, fused MLM loss
    use_fast_path(model, False)   # back to the reference modules

Every `bert_core` model calls `use_fast_path` at the end of its construction (`post_init`), so the
fast path is on by default; it changes nothing but kernels (the state dict is identical) and takes
its fast route only where it helps: fp32 on the CPU, outside autocast and `torch.compile`.

- `onednn`: oneDNN's products (forward, and backward as an autograd function).
- `gemm`: oneDNN vs MKL for each linear shape, chosen by a short timing (`BERT_CORE_CPU_GEMM` overrides).
- `linear`: `FastLinear` and its autograd function.
- `dropout`: `FastDropout`, the `rand`-mask dropout.
- `mlm_loss`: the MLM decoder and its cross-entropy in one autograd step.
- `swap`: `use_fast_path`.

This package imports nothing from `bert_core.model`.
"""

from .dropout import FastDropout, dropout
from .gemm import gemm_for, gemm_setting, measured_choices, reset_gemm_choice
from .linear import FastLinear, linear
from .mlm_loss import decoder_cross_entropy
from .onednn import onednn_available
from .swap import use_fast_path, uses_fast_path

__all__ = [
    "use_fast_path",
    "uses_fast_path",
    "FastLinear",
    "FastDropout",
    "linear",
    "dropout",
    "decoder_cross_entropy",
    "gemm_for",
    "gemm_setting",
    "measured_choices",
    "onednn_available",
    "reset_gemm_choice",
]
