"""The pretraining dataset: per-epoch NSP pairs and masks, served as deterministic padded batches.

``PretrainingDataset`` draws new pairs and new masks every epoch and serves ``batch(epoch, index)`` as a pure
function of ``(seed, epoch, index, rank)``, so a run resumes exactly and DDP ranks split a global batch.
"""

from __future__ import annotations

import array
import hashlib
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from ..batching import epoch_order
from .instances import PretrainingInstance, TokenizedDoc, create_instances
from .masking import IGNORE_INDEX, mask_tokens


def _derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from ``parts`` (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "little") >> 1


@dataclass
class _Epoch:
    """One epoch's pairs and masks, as padded ``(N, L)`` tensors (int32 to halve memory)."""

    epoch: int
    instances: list[PretrainingInstance]
    original: Tensor  # (N, L) int32 [CLS] A [SEP] B [SEP] [PAD]...
    masked: Tensor  # (N, L) int32 after MLM corruption
    kinds: Tensor  # (N, L) int8 KIND_*
    lengths: Tensor  # (N,) long, tokens before padding
    len_a: Tensor  # (N,) long
    nsp: Tensor  # (N,) long, 1 = random next


class PretrainingDataset:
    """NSP pairs with MLM masks, redrawn each epoch, served as dynamically padded batches.

    Everything is a pure function of ``seed`` and the call's arguments: pairs and masks of epoch ``e`` come
    from generators seeded by ``(seed, e)``, computed for all instances at once and cached for the last epoch
    asked for; an instance's mask depends only on ``(seed, epoch, instance)``, never on batch size or rank.
    The epoch order is a permutation from ``(seed, epoch)``; with ``length_bucketing`` it is sorted by length
    within chunks of 50 global batches and the batch order is shuffled, so batches need little padding. The
    last global batch is completed by wrapping around to the start of the order (as ``DistributedSampler``
    does), so every batch is full and every rank gets ``batch_size`` rows.
    """

    def __init__(
        self,
        docs: list[TokenizedDoc],
        *,
        max_seq_length: int,
        vocab_size: int,
        cls_id: int,
        sep_id: int,
        pad_id: int,
        mask_id: int,
        seed: int = 0,
        mlm_probability: float = 0.15,
        max_predictions: int | None = 20,
        whole_word_masking: bool = False,
        short_seq_prob: float = 0.1,
        random_token_low: int = 0,
        nsp_probability: float = 0.5,
        length_bucketing: bool = True,
    ) -> None:
        """Store the corpus and settings; nothing is computed until an epoch is asked for.

        Args:
            docs: tokenized documents (see ``tokenize_corpus``).
            max_seq_length: padded length limit of ``[CLS] A [SEP] B [SEP]``.
            vocab_size, cls_id, sep_id, pad_id, mask_id: the vocabulary.
            seed: root of every random choice.
            mlm_probability, max_predictions, random_token_low: see ``mask_tokens``.
            whole_word_masking: select whole words instead of single tokens.
            short_seq_prob, nsp_probability: see ``create_instances``.
            length_bucketing: group instances of similar length into batches.

        Raises:
            ValueError: on an empty corpus or ids outside the vocabulary.
        """
        if not any(any(ids for ids, _ in doc) for doc in docs):
            raise ValueError(f"no tokens in the corpus ({len(docs)} documents)")
        for name, value in (("cls_id", cls_id), ("sep_id", sep_id), ("pad_id", pad_id), ("mask_id", mask_id)):
            if not 0 <= value < vocab_size:
                raise ValueError(f"{name} must be in [0, vocab_size={vocab_size}), got {value}")
        if max_seq_length < 5:
            raise ValueError(f"max_seq_length must be >= 5, got {max_seq_length}")
        self.docs = docs
        self.max_seq_length, self.vocab_size = max_seq_length, vocab_size
        self.cls_id, self.sep_id, self.pad_id, self.mask_id = cls_id, sep_id, pad_id, mask_id
        self.seed, self.mlm_probability, self.max_predictions = seed, mlm_probability, max_predictions
        self.whole_word_masking, self.short_seq_prob = whole_word_masking, short_seq_prob
        self.random_token_low, self.nsp_probability = random_token_low, nsp_probability
        self.length_bucketing = length_bucketing
        self._lock = threading.Lock()  # the app's trainer thread and its batch inspector share this
        self._epoch_cache: _Epoch | None = None
        self._order_cache: tuple[tuple[int, int], Tensor] | None = None

    def _build_epoch(self, epoch: int) -> _Epoch:
        """Draw the epoch's pairs, lay them out as padded rows and mask them all at once."""
        gen = torch.Generator().manual_seed(_derive_seed(self.seed, epoch, "nsp"))
        instances = create_instances(
            self.docs,
            self.max_seq_length,
            gen,
            short_seq_prob=self.short_seq_prob,
            nsp_probability=self.nsp_probability,
        )
        if not instances:
            raise ValueError(f"no NSP pair could be built from {len(self.docs)} documents")
        ids: list[int] = []
        starts: list[bool] = []
        for inst in instances:
            ids += [self.cls_id, *inst.tokens_a, self.sep_id, *inst.tokens_b, self.sep_id]
            starts += [False, *inst.word_starts_a, False, *inst.word_starts_b, False]
        N, L = len(instances), self.max_seq_length
        len_a = torch.tensor([len(inst.tokens_a) for inst in instances])  # (N,)
        lengths = len_a + torch.tensor([len(inst.tokens_b) for inst in instances]) + 3  # (N,)
        pos = torch.arange(L)
        valid = pos < lengths[:, None]  # (N, L)
        original = torch.full((N, L), self.pad_id, dtype=torch.int32)
        original[valid] = torch.frombuffer(array.array("i", ids), dtype=torch.int32)  # 3x torch.tensor(list)
        special = ~valid | (pos == 0) | (pos == len_a[:, None] + 1) | (pos == lengths[:, None] - 1)
        word_starts = None
        if self.whole_word_masking:
            word_starts = torch.zeros((N, L), dtype=torch.bool)
            word_starts[valid] = torch.frombuffer(bytearray(starts), dtype=torch.bool)
        mgen = torch.Generator().manual_seed(_derive_seed(self.seed, epoch, "mask"))
        masked, kinds = torch.empty_like(original), torch.empty((N, L), dtype=torch.int8)
        for s in range(0, N, 8192):  # blocks bound the temporaries of a large corpus
            rows = slice(s, s + 8192)
            masked[rows], _, kinds[rows] = mask_tokens(
                original[rows],
                special[rows],
                self.vocab_size,
                self.mask_id,
                mgen,
                mlm_probability=self.mlm_probability,
                max_predictions=self.max_predictions,
                word_starts=None if word_starts is None else word_starts[rows],
                random_token_low=self.random_token_low,
                return_kinds=True,
            )
        nsp = torch.tensor([int(inst.is_random_next) for inst in instances])
        return _Epoch(epoch, instances, original, masked, kinds, lengths, len_a, nsp)

    def _epoch(self, epoch: int) -> _Epoch:
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        with self._lock:
            if self._epoch_cache is None or self._epoch_cache.epoch != epoch:
                self._epoch_cache = self._build_epoch(epoch)
            return self._epoch_cache

    def _order(self, epoch: int, global_batch: int) -> Tensor:
        """``(num_batches, global_batch)`` instance indices of each global batch of the epoch."""
        data = self._epoch(epoch)
        with self._lock:
            if self._order_cache is not None and self._order_cache[0] == (epoch, global_batch):
                return self._order_cache[1]
            gen = torch.Generator().manual_seed(_derive_seed(self.seed, epoch, "order"))
            order = epoch_order(data.lengths, global_batch, gen, bucket=self.length_bucketing)
            self._order_cache = ((epoch, global_batch), order)
            return order

    def epoch_instances(self, epoch: int) -> list[PretrainingInstance]:
        """The NSP pairs of ``epoch`` (deterministic in ``(seed, epoch)``), in document order."""
        return self._epoch(epoch).instances

    def num_batches(self, batch_size: int, epoch: int = 0, *, world_size: int = 1) -> int:
        """Global batches in ``epoch``: ``ceil(instances / (batch_size * world_size))``."""
        _check_batching(batch_size, 0, world_size)
        return math.ceil(len(self._epoch(epoch).instances) / (batch_size * world_size))

    def batch(
        self,
        epoch: int,
        index: int,
        batch_size: int,
        *,
        rank: int = 0,
        world_size: int = 1,
    ) -> dict[str, Tensor | bool]:
        """Batch ``index`` of ``epoch`` for ``rank``: rows ``[rank * batch_size, (rank + 1) * batch_size)`` of
        the global batch of ``batch_size * world_size``, padded to its own longest row.

        Args:
            epoch: epoch number (pairs, masks and order are redrawn per epoch).
            index: global batch index in ``[0, num_batches(batch_size, epoch, world_size=world_size))``.
            batch_size: rows per rank.
            rank, world_size: this process's DDP rank and the number of ranks.

        Returns:
            ``input_ids`` (B, T) long, masked; ``token_type_ids`` (B, T) long; ``attention_mask`` (B, T) long;
            ``labels`` (B, T) long, -100 where not predicted; ``next_sentence_label`` (B,) long, 1 = random;
            ``has_padding`` bool; ``original_input_ids`` (B, T) long; ``mask_kind`` (B, T) int8 (``KIND_*``).

        Raises:
            ValueError: on a bad batch size, rank or world size.
            IndexError: on an index outside the epoch.
        """
        _check_batching(batch_size, rank, world_size)
        order = self._order(epoch, batch_size * world_size)
        if not 0 <= index < len(order):
            raise IndexError(f"batch index {index} outside [0, {len(order)}) for epoch {epoch}")
        data = self._epoch(epoch)
        rows = order[index, rank * batch_size : (rank + 1) * batch_size]  # (B,)
        lengths = data.lengths[rows]  # (B,)
        T = int(lengths.max())
        pos = torch.arange(T)
        attention = pos < lengths[:, None]  # (B, T)
        original = data.original[rows, :T].long()  # (B, T)
        kinds = data.kinds[rows, :T]  # (B, T)
        return {
            "input_ids": data.masked[rows, :T].long(),
            "token_type_ids": ((pos > data.len_a[rows, None] + 1) & attention).long(),
            "attention_mask": attention.long(),
            "labels": torch.where(kinds > 0, original, IGNORE_INDEX),
            "next_sentence_label": data.nsp[rows],
            "has_padding": bool((lengths < T).any()),
            "original_input_ids": original,
            "mask_kind": kinds,
        }

    def iter_epoch(
        self, epoch: int, batch_size: int, start_index: int = 0, *, rank: int = 0, world_size: int = 1
    ) -> Iterator[dict[str, Tensor | bool]]:
        """Yield ``batch(epoch, i, batch_size, ...)`` for ``i`` from ``start_index`` (to resume mid-epoch)."""
        for index in range(start_index, self.num_batches(batch_size, epoch, world_size=world_size)):
            yield self.batch(epoch, index, batch_size, rank=rank, world_size=world_size)


def _check_batching(batch_size: int, rank: int, world_size: int) -> None:
    if batch_size < 1 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"need batch_size >= 1 and 0 <= rank < world_size, got batch_size={batch_size}, "
            f"rank={rank}, world_size={world_size}"
        )
