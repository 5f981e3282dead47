"""The CPU fast path (`bert_core.kernels`): oneDNN `FastLinear` (forward and backward), the measured
GEMM choice, the `rand`-mask `FastDropout`, the fused MLM loss, and the swap that puts them in a model."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

import bert_core
from bert_core import BertConfig
from bert_core.kernels import FastDropout as Dropout
from bert_core.kernels import FastLinear as Linear
from bert_core.kernels import (
    decoder_cross_entropy,
    dropout,
    gemm_for,
    onednn_available,
    reset_gemm_choice,
    use_fast_path,
    uses_fast_path,
)
from bert_core.kernels import gemm as gemm_module

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="this PyTorch build has no oneDNN")


@pytest.fixture(name="gemm")
def gemm_fixture(monkeypatch: pytest.MonkeyPatch):
    """Set BERT_CORE_CPU_GEMM for one test (the choice is cached per process: clear it around); returns
    the kernel then chosen for a training product at the `mini` preset's FFN shape."""

    def choose(name: str) -> str:
        monkeypatch.setenv("BERT_CORE_CPU_GEMM", name)
        reset_gemm_choice()
        return gemm_for(256, 1024, rows=4096, backward=True)

    yield choose
    monkeypatch.delenv("BERT_CORE_CPU_GEMM", raising=False)
    reset_gemm_choice()


def test_cpu_gemm_choice_follows_the_environment(gemm) -> None:
    assert gemm("mkl") == "mkl"
    assert gemm("blas") == "mkl"  # the old name of the same choice
    assert gemm("onednn") == ("onednn" if onednn_available() else "mkl")
    assert gemm("auto") in ("onednn", "mkl")
    with pytest.raises(ValueError, match="BERT_CORE_CPU_GEMM"):
        gemm("fastest")


def test_forced_gemm_measures_nothing_and_auto_measures_each_shape_once(gemm, monkeypatch) -> None:
    calls: list[tuple] = []
    monkeypatch.setattr(gemm_module, "_measure", lambda *key: calls.append(key) or "mkl")
    for forced in ("mkl", "onednn"):
        gemm(forced)
        assert gemm_for(384, 1536, rows=2432, backward=True) == (forced if onednn_available() else "mkl")
    assert calls == []
    if not onednn_available():
        return
    gemm("auto")  # the fixture's own call measured (256, 1024) once
    for _ in range(3):
        gemm_for(384, 1536, rows=2432, backward=True)
        gemm_for(384, 1536, rows=2000, backward=True)  # the same rows bucket
        gemm_for(384, 1536, rows=2432, backward=False)
        gemm_for(384, 1536, rows=32, backward=False)
    assert calls == [(256, 1024, 1024, True), (384, 1536, 1024, True), (384, 1536, 1024, False), (384, 1536, 64, False)]
    assert gemm_module.measured_choices()[(384, 1536, 64, False)] == "mkl"


@needs_onednn
def test_measured_gemm_choice_is_one_of_both(gemm) -> None:
    """The real timing at MiniLM's training shapes picks a kernel for each and remembers it."""
    gemm("auto")
    shapes = ((384, 1152), (384, 1536), (1536, 384))
    picked = [gemm_for(i, o, rows=2432, backward=True) for i, o in shapes]
    assert set(picked) <= {"mkl", "onednn"}
    assert [gemm_module.measured_choices()[(i, o, 1024, True)] for i, o in shapes] == picked


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


@pytest.mark.parametrize("kind", ["mkl", "onednn"])
def test_fused_decoder_cross_entropy_equals_the_unfused_loss(gemm, kind: str) -> None:
    """`decoder_cross_entropy` (the MLM decoder and its loss in one step) gives F.linear + F.cross_entropy's
    logits, loss and gradients, for an upstream gradient other than 1, with its products on either kernel."""
    gemm(kind)
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


@pytest.mark.parametrize("kind", ["mkl", "onednn"])
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


@pytest.mark.parametrize("name", ["BertForPreTraining", "BertForMaskedLM", "BertForQuestionAnswering"])
def test_the_swap_keeps_the_state_dict_and_ties(name: str, tiny_config: BertConfig) -> None:
    """Models come with the fast path; swapping it out and back changes no key, value or tensor."""
    model = getattr(bert_core, name)(tiny_config)
    assert uses_fast_path(model)
    before = model.state_dict()
    use_fast_path(model, enabled=False)
    assert not uses_fast_path(model)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(type(m) is torch.nn.Linear for m in linears)  # stock modules only
    assert all(type(m) is torch.nn.Dropout for m in model.modules() if isinstance(m, torch.nn.Dropout))
    reference = model.state_dict()
    use_fast_path(use_fast_path(model))  # twice: idempotent
    after = model.state_dict()
    assert list(before) == list(reference) == list(after)
    for key in before:
        assert before[key].data_ptr() == reference[key].data_ptr() == after[key].data_ptr(), key
    if hasattr(model, "cls"):
        assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
        assert model.cls.predictions.decoder.bias is model.cls.predictions.bias
    assert type(pickle.loads(pickle.dumps(model))) is type(model)


@pytest.mark.parametrize("kind", ["mkl", "onednn"])
def test_fast_path_equals_the_reference_modules(gemm, kind: str, tiny_config: BertConfig) -> None:
    """Same weights, fast and reference modules: the same losses, logits and gradients to fp32 rounding
    (eval mode: the two dropouts draw different masks), on either GEMM kernel."""
    gemm(kind)
    fast = bert_core.BertForPreTraining(tiny_config).eval()
    reference = use_fast_path(copy.deepcopy(fast), enabled=False)
    assert uses_fast_path(fast) and not uses_fast_path(reference)
    gen = torch.Generator().manual_seed(7)
    ids = torch.randint(5, tiny_config.vocab_size, (4, 10), generator=gen)
    labels = torch.where(torch.rand(4, 10, generator=gen) < 0.3, ids, -100)
    labels[0, 3] = ids[0, 3]
    nsp = torch.tensor([1, 0, 0, 1])
    outs = []
    for model in (fast, reference):
        out = model(ids, labels=labels, next_sentence_label=nsp)
        out.loss.backward()
        outs.append((out, {k: p.grad for k, p in model.named_parameters()}))
    (a, grads_a), (b, grads_b) = outs
    torch.testing.assert_close(a.loss, b.loss, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(a.prediction_logits, b.prediction_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.seq_relationship_logits, b.seq_relationship_logits, atol=1e-5, rtol=1e-5)
    assert grads_a.keys() == grads_b.keys()
    for key in grads_a:
        torch.testing.assert_close(grads_a[key], grads_b[key], atol=1e-5, rtol=1e-4, msg=key)
