"""The CPU kernels behind the model: oneDNN `Linear` (forward and backward) and the `rand`-mask `Dropout`."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

import bert_core
from bert_core import BertConfig
from bert_core.model.dropout import Dropout, dropout
from bert_core.model.linear import Linear, cpu_gemm, onednn_available
from bert_core.model.mlm_loss import decoder_cross_entropy

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="this PyTorch build has no oneDNN")


@pytest.fixture
def gemm(monkeypatch: pytest.MonkeyPatch):
    """Set BERT_CORE_CPU_GEMM for one test (the choice is cached per process: clear it around)."""

    def choose(name: str) -> str:
        monkeypatch.setenv("BERT_CORE_CPU_GEMM", name)
        cpu_gemm.cache_clear()
        return cpu_gemm()

    yield choose
    monkeypatch.delenv("BERT_CORE_CPU_GEMM", raising=False)
    cpu_gemm.cache_clear()


def test_cpu_gemm_choice_follows_the_environment(gemm) -> None:
    assert gemm("blas") == "blas"
    assert gemm("onednn") == ("onednn" if onednn_available() else "blas")
    assert gemm("auto") in ("onednn", "blas")
    with pytest.raises(ValueError, match="BERT_CORE_CPU_GEMM"):
        gemm("fastest")


@needs_onednn
@pytest.mark.parametrize("shape,features", [((7, 12), (12, 5)), ((3, 4, 6), (6, 40)), ((2, 5, 40), (40, 6))])
@pytest.mark.parametrize("bias", [True, False])
def test_onednn_linear_equals_f_linear_forward_and_backward(gemm, shape, features, bias: bool) -> None:
    """Both weight-gradient layouts (output narrower or wider than the input) and 2-D / 3-D inputs."""
    assert gemm("onednn") == "onednn"
    torch.manual_seed(0)
    layer = Linear(*features, bias=bias)
    x = torch.randn(*shape, requires_grad=True)
    upstream = torch.randn(*shape[:-1], features[1])
    ours = layer(x)
    ours.backward(upstream)
    got = [x.grad.clone(), layer.weight.grad.clone()] + ([layer.bias.grad.clone()] if bias else [])
    x.grad = None
    layer.zero_grad()
    ref = F.linear(x, layer.weight, layer.bias)
    ref.backward(upstream)
    want = [x.grad, layer.weight.grad] + ([layer.bias.grad] if bias else [])
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    with torch.inference_mode():
        torch.testing.assert_close(layer(x), ref.detach(), atol=1e-5, rtol=1e-5)


@needs_onednn
def test_onednn_linear_on_a_strided_input(gemm) -> None:
    """A row slice like the pooler's `hidden[:, 0]` (neither contiguous nor a transpose) is copied
    dense first; the numbers are F.linear's, forward and backward."""
    gemm("onednn")
    torch.manual_seed(1)
    layer = Linear(12, 12)
    base = torch.randn(4, 3, 12, requires_grad=True)
    layer(base[:, 0]).square().sum().backward()
    got = base.grad.clone(), layer.weight.grad.clone()
    base.grad = None
    layer.zero_grad()
    F.linear(base[:, 0], layer.weight, layer.bias).square().sum().backward()
    for a, b in zip(got, (base.grad, layer.weight.grad)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@needs_onednn
def test_fused_decoder_cross_entropy_equals_the_unfused_loss(gemm) -> None:
    """`decoder_cross_entropy` (the MLM decoder and its loss in one step) gives F.linear + F.cross_entropy's
    logits, loss and gradients, for an upstream gradient other than 1."""
    gemm("onednn")
    torch.manual_seed(2)
    h = torch.randn(13, 16, requires_grad=True)
    weight = torch.randn(50, 16, requires_grad=True)
    bias = torch.randn(50, requires_grad=True)
    targets = torch.randint(0, 50, (13,))
    logits, loss = decoder_cross_entropy(h, weight, bias, targets)
    assert not logits.requires_grad  # the fused step ran (its logits carry no gradient)
    (2.5 * loss).backward()
    got = [t.grad.clone() for t in (h, weight, bias)]
    for t in (h, weight, bias):
        t.grad = None
    ref_logits = F.linear(h, weight, bias)
    ref = F.cross_entropy(ref_logits, targets)
    (2.5 * ref).backward()
    torch.testing.assert_close(logits, ref_logits.detach(), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(loss, ref.detach(), atol=1e-6, rtol=1e-6)
    for a, b in zip(got, (h.grad, weight.grad, bias.grad)):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


@needs_onednn
def test_onednn_linear_leaves_other_dtypes_and_autocast_to_pytorch(gemm) -> None:
    gemm("onednn")
    layer = Linear(8, 4)
    x = torch.randn(3, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert layer(x).dtype == torch.bfloat16
    assert layer.double()(x.double()).dtype == torch.float64


@pytest.mark.parametrize("kind", ["blas", "onednn"])
def test_training_gradients_equal_transformers(gemm, kind: str, tiny_config: BertConfig) -> None:
    """A full pretraining backward (dropout off) on either kernel equals transformers' on the same weights."""
    transformers = pytest.importorskip("transformers")
    gemm(kind)
    model = bert_core.BertForPreTraining(tiny_config).eval()
    theirs = transformers.BertForPreTraining(
        transformers.BertConfig(**copy.deepcopy(tiny_config.to_dict()), attn_implementation="eager")
    ).eval()
    theirs.load_state_dict(model.state_dict(), strict=True)
    gen = torch.Generator().manual_seed(5)
    ids = torch.randint(5, tiny_config.vocab_size, (4, 10), generator=gen)
    labels = torch.where(torch.rand(4, 10, generator=gen) < 0.3, ids, -100)
    labels[0, 2] = ids[0, 2]
    nsp = torch.tensor([0, 1, 1, 0])
    model(ids, labels=labels, next_sentence_label=nsp).loss.backward()
    theirs(input_ids=ids, labels=labels, next_sentence_label=nsp).loss.backward()
    mine = dict(model.named_parameters())
    for name, param in theirs.named_parameters():
        torch.testing.assert_close(mine[name].grad, param.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_dropout_keeps_the_expected_fraction_scaled_and_is_seeded() -> None:
    x = torch.ones(1000, 1000)
    torch.manual_seed(0)
    out = dropout(x, 0.1, training=True)
    torch.manual_seed(0)
    again = dropout(x, 0.1, training=True)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.9) < 0.003  # 1e6 draws: sd 0.0003
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / 0.9))
    assert torch.equal(out, again)
    assert dropout(x, 0.1, training=False) is x
    assert dropout(x, 0.0, training=True) is x
    assert not dropout(x, 1.0, training=True).any()


def test_dropout_gradient_is_the_mask() -> None:
    layer = Dropout(0.5).train()
    x = torch.randn(64, 64, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    torch.testing.assert_close(x.grad, torch.where(out != 0, 2.0, 0.0))
    assert layer.eval()(x) is x


def test_torch_compile_gives_the_eager_loss_and_gradients(tiny_config: BertConfig) -> None:
    """`TrainingArguments(compile=True)` / `--compile`: the compiler takes over the products (oneDNN
    `Linear` steps aside while compiling) and the numbers stay those of eager mode."""
    torch.manual_seed(0)
    model = bert_core.BertForPreTraining(tiny_config).eval()
    gen = torch.Generator().manual_seed(6)
    ids = torch.randint(5, tiny_config.vocab_size, (4, 10), generator=gen)
    labels = torch.where(torch.rand(4, 10, generator=gen) < 0.3, ids, -100)
    labels[0, 1] = ids[0, 1]
    nsp = torch.tensor([0, 1, 1, 0])
    eager = model(ids, labels=labels, next_sentence_label=nsp).loss
    eager.backward()
    want = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()
    compiled = torch.compile(model)(ids, labels=labels, next_sentence_label=nsp).loss
    compiled.backward()
    torch.testing.assert_close(compiled, eager, atol=1e-5, rtol=0)
    for name, param in model.named_parameters():
        torch.testing.assert_close(param.grad, want[name], atol=1e-5, rtol=1e-4, msg=name)
