"""NSP pairs, the pretraining dataset's batches (layout, masks, DDP slicing, determinism) and tokenize_corpus."""

from __future__ import annotations

import pytest
import torch

from bert_core.pretraining.dataset import PretrainingDataset
from bert_core.pretraining.instances import create_instances, tokenize_corpus
from bert_core.pretraining.masking import IGNORE_INDEX, KIND_KEPT, KIND_MASK, KIND_NONE, KIND_RANDOM

PAD, CLS, SEP, MASK, FIRST = 0, 1, 2, 3, 10
MAX_LEN = 64


def _corpus(n_docs: int, seed: int = 0) -> tuple[list, dict[int, tuple[int, int]], dict[int, bool]]:
    """Documents whose token ids are unique and increase through each document.

    Returns the documents, id -> (document, position in document), and id -> "starts a word".
    """
    g = torch.Generator().manual_seed(seed)
    docs, where, starts_of = [], {}, {}
    next_id = FIRST
    for d in range(n_docs):
        doc, position = [], 0
        for _ in range(int(torch.randint(1, 9, (1,), generator=g))):
            n = int(torch.randint(3, 25, (1,), generator=g))
            ids = list(range(next_id, next_id + n))
            starts = [True] + (torch.rand(n - 1, generator=g) < 0.7).tolist()
            for i, s in zip(ids, starts):
                where[i], starts_of[i] = (d, position), s
                position += 1
            next_id += n
            doc.append((ids, starts))
        docs.append(doc)
    return docs, where, starts_of


@pytest.fixture(scope="module")
def corpus():
    return _corpus(1000)


def _dataset(docs, **kwargs) -> PretrainingDataset:
    vocab = FIRST + sum(len(ids) for doc in docs for ids, _ in doc)
    return PretrainingDataset(
        docs,
        max_seq_length=MAX_LEN,
        vocab_size=vocab,
        cls_id=CLS,
        sep_id=SEP,
        pad_id=PAD,
        mask_id=MASK,
        random_token_low=FIRST,
        **kwargs,
    )


def _contiguous(ids: list[int], where) -> bool:
    docs = {where[i][0] for i in ids}
    positions = [where[i][1] for i in ids]
    return len(docs) == 1 and positions == list(range(positions[0], positions[0] + len(ids)))


def test_instances_pair_real_continuations_and_random_spans(corpus):
    docs, where, starts_of = corpus
    instances = create_instances(docs, MAX_LEN, torch.Generator().manual_seed(0))
    assert len(instances) > 1500
    random_share = sum(inst.is_random_next for inst in instances) / len(instances)
    assert abs(random_share - 0.5) < 0.05
    for inst in instances:
        a, b = inst.tokens_a, inst.tokens_b
        assert a and b and len(a) + len(b) <= MAX_LEN - 3
        assert inst.word_starts_a == [starts_of[i] for i in a]
        assert inst.word_starts_b == [starts_of[i] for i in b]
        assert _contiguous(a, where) and _contiguous(b, where)
        if inst.is_random_next:
            assert where[a[0]][0] != where[b[0]][0]
        else:
            assert where[a[0]][0] == where[b[0]][0] and where[a[-1]][1] < where[b[0]][1]
    # Sentences of a random-next chunk's true B are put back, so almost all text lands in some A or true B
    # (what is missing was cut by truncation).
    used = {i for inst in instances for i in inst.tokens_a}
    used |= {i for inst in instances if not inst.is_random_next for i in inst.tokens_b}
    assert len(used) > 0.9 * len(where)


def test_single_sentence_documents_and_single_document():
    docs = [[(list(range(10 + 20 * d, 30 + 20 * d)), [True] * 20)] for d in range(300)]
    instances = create_instances(docs, MAX_LEN, torch.Generator().manual_seed(0))
    assert len(instances) == 300
    assert abs(sum(inst.is_random_next for inst in instances) / 300 - 0.5) < 0.1
    with pytest.warns(UserWarning, match="one document"):
        lone = create_instances(docs[:1], MAX_LEN, torch.Generator().manual_seed(0))
    assert len(lone) == 1 and not lone[0].is_random_next
    assert lone[0].tokens_a + lone[0].tokens_b == docs[0][0][0]


def test_long_sentences_are_truncated_to_fit():
    docs = [[(list(range(1000 * d + 10, 1000 * d + 310)), [True] * 300)] * 3 for d in range(4)]
    for inst in create_instances(docs, 32, torch.Generator().manual_seed(1)):
        assert 1 <= len(inst.tokens_a) and 1 <= len(inst.tokens_b) and len(inst.tokens_a) + len(inst.tokens_b) == 29


def test_batch_layout_types_and_masks(corpus):
    ds = _dataset(corpus[0])
    batch = ds.batch(0, 0, 32)
    ids, original, kinds = batch["input_ids"], batch["original_input_ids"], batch["mask_kind"]
    attention, types, labels = batch["attention_mask"], batch["token_type_ids"], batch["labels"]
    B, T = ids.shape
    assert B == 32 and T <= MAX_LEN and kinds.dtype == torch.int8 and ids.dtype == torch.long
    assert batch["has_padding"] == bool((attention == 0).any())
    assert attention.sum(1).max() == T  # padded only to its own longest row
    for row in range(B):
        n = int(attention[row].sum())
        seps = (original[row, :n] == SEP).nonzero().flatten().tolist()
        assert original[row, 0] == CLS and len(seps) == 2 and seps[1] == n - 1
        assert types[row, : seps[0] + 1].eq(0).all() and types[row, seps[0] + 1 : n].eq(1).all()
        assert types[row, n:].eq(0).all() and original[row, n:].eq(PAD).all() and kinds[row, n:].eq(0).all()
        assert kinds[row, [0, seps[0], n - 1]].eq(KIND_NONE).all()
        assert 1 <= (kinds[row] != KIND_NONE).sum() <= 20
    selected = kinds != KIND_NONE
    assert torch.equal(labels[selected], original[selected]) and labels[~selected].eq(IGNORE_INDEX).all()
    assert ids[kinds == KIND_MASK].eq(MASK).all()
    unchanged = (kinds == KIND_NONE) | (kinds == KIND_KEPT)
    assert torch.equal(ids[unchanged], original[unchanged])
    assert (ids[kinds == KIND_RANDOM] >= FIRST).all()
    assert set(batch["next_sentence_label"].tolist()) <= {0, 1}


def _rows(batch: dict) -> list[tuple]:
    """Each row, unpadded, as (original ids, masked ids, kinds, token types, nsp label)."""
    out = []
    for r, n in enumerate(batch["attention_mask"].sum(1).tolist()):
        out.append(
            (
                tuple(batch["original_input_ids"][r, :n].tolist()),
                tuple(batch["input_ids"][r, :n].tolist()),
                tuple(batch["mask_kind"][r, :n].tolist()),
                tuple(batch["token_type_ids"][r, :n].tolist()),
                int(batch["next_sentence_label"][r]),
            )
        )
    return out


def test_ddp_ranks_union_equals_single_process_batch(corpus):
    ds = _dataset(corpus[0])
    assert ds.num_batches(8, 1, world_size=2) == ds.num_batches(16, 1)
    for index in (0, 3, ds.num_batches(16, 1) - 1):
        single = _rows(ds.batch(1, index, 16))
        ranks = _rows(ds.batch(1, index, 8, rank=0, world_size=2)) + _rows(ds.batch(1, index, 8, rank=1, world_size=2))
        assert ranks == single


def test_batches_deterministic_regardless_of_call_order(corpus):
    docs = corpus[0]
    first, second = _dataset(docs, seed=5), _dataset(docs, seed=5)
    a = [first.batch(0, 2, 16), first.batch(1, 4, 16)]
    second.batch(1, 0, 8)
    second.num_batches(32, 2)
    b = [second.batch(0, 2, 16), second.batch(1, 4, 16)]
    assert all(_rows(x) == _rows(y) for x, y in zip(a, b))
    assert _rows(first.batch(0, 2, 16)) == _rows(a[0])  # back to an evicted epoch
    assert _rows(_dataset(docs, seed=6).batch(0, 2, 16)) != _rows(a[0])


def test_epochs_redraw_pairs_and_masks(corpus):
    ds = _dataset(corpus[0])
    e0, e1 = ds._epoch(0), ds._epoch(1)  # noqa: SLF001 (compare whole epochs)
    assert [i.tokens_a for i in e0.instances] != [i.tokens_a for i in e1.instances]
    first_rows = min(len(e0.instances), len(e1.instances))
    same_text = (e0.original[:first_rows] == e1.original[:first_rows]).all(1)
    assert same_text.any()  # some pairs come out identical; their masks still differ
    assert not torch.equal(e0.kinds[:first_rows][same_text], e1.kinds[:first_rows][same_text])


def test_epoch_covers_every_instance_and_buckets_reduce_padding(corpus):
    docs = corpus[0]
    ds, flat = _dataset(docs), _dataset(docs, length_bucketing=False)
    instances = ds.epoch_instances(0)
    expected = sorted(tuple([CLS, *i.tokens_a, SEP, *i.tokens_b, SEP]) for i in instances)
    seen, padded, padded_flat = [], 0, 0
    for batch, batch_flat in zip(ds.iter_epoch(0, 32), flat.iter_epoch(0, 32)):
        seen += [row[0] for row in _rows(batch)]
        padded += batch["attention_mask"].numel()
        padded_flat += batch_flat["attention_mask"].numel()
    assert len(seen) == ds.num_batches(32) * 32
    assert sorted(set(seen)) == sorted(set(expected))
    assert padded < 0.8 * padded_flat
    resumed = list(ds.iter_epoch(0, 32, start_index=ds.num_batches(32) - 2))
    assert len(resumed) == 2 and _rows(resumed[-1]) == _rows(batch)


def test_whole_word_masking_in_batches(corpus):
    docs, _, starts_of = corpus
    batch = _dataset(docs, whole_word_masking=True).batch(0, 0, 64)
    original, selected = batch["original_input_ids"], batch["mask_kind"] != KIND_NONE
    for row in range(len(original)):
        ids = original[row].tolist()
        for t in range(1, len(ids)):
            # A continuation piece is selected together with the token before it (unless after [SEP]/[CLS]).
            if ids[t] >= FIRST and not starts_of[ids[t]] and ids[t - 1] >= FIRST:
                assert selected[row, t] == selected[row, t - 1]


def test_invalid_arguments_raise(corpus):
    with pytest.raises(ValueError, match="mask_id"):
        PretrainingDataset(corpus[0], max_seq_length=64, vocab_size=5, cls_id=1, sep_id=2, pad_id=0, mask_id=9)
    with pytest.raises(ValueError, match="no tokens"):
        _dataset([[([], [])]])
    ds = _dataset(corpus[0])
    with pytest.raises(ValueError, match="rank"):
        ds.batch(0, 0, 8, rank=2, world_size=2)
    with pytest.raises(IndexError):
        ds.batch(0, ds.num_batches(8), 8)


class _FakeTokenizer:
    """Whitespace words; words longer than four letters split into a head and a ``##`` tail."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.calls = 0

    def tokenize_with_words(self, texts: list[str]) -> list[tuple[list[int], list[bool]]]:
        self.calls += 1
        out = []
        for text in texts:
            ids, starts = [], []
            for word in text.split():
                pieces = [word[:4], "##" + word[4:]] if len(word) > 4 else [word]
                for k, piece in enumerate(pieces):
                    ids.append(self.vocab.setdefault(piece, FIRST + len(self.vocab)))
                    starts.append(k == 0)
            out.append((ids, starts))
        return out


def test_tokenize_corpus_batches_and_drops_empties():
    tok = _FakeTokenizer()
    docs = [["the cat", "  ", "elephants run"], [""], ["one"] * 5]
    out = tokenize_corpus(docs, tok, batch_size=2)
    assert tok.calls == 4 and len(out) == 2 and len(out[1]) == 5
    ids, starts = out[0][1]
    assert starts == [True, False, True] and len(ids) == 3
