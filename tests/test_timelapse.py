"""The time-lapse: frames recorded while a model pretrains, read back; recording never changes the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bert_core.inspect.projection import aligned_maps
from bert_core.pretraining.setup import PretrainSpec, prepare_pretraining
from bert_core.pretraining.timelapse import Timelapse, TimelapseRecorder, timelapse_words
from bert_core.training import Trainer, TrainingArguments

TEXT = "\n\n".join(
    f"On Monday the {who} said the {what} rose by {n} per cent. On Tuesday the {what} fell again."
    for who in ("minister", "bank", "police", "government")
    for what in ("price", "market", "dollar")
    for n in ("two", "three", "five")
)
PROBES = ["On [MASK] the bank said the price rose.", "The [MASK] fell again."]


def _train(tmp_path: Path, record: bool) -> tuple[Trainer, TimelapseRecorder | None]:
    corpus = tmp_path.parent / "corpus.txt"
    corpus.write_text(TEXT)
    spec = PretrainSpec(  # the vocabulary cache gives both runs one vocabulary (the trainer's ties vary)
        corpus=str(corpus),
        vocab="train",
        vocab_size=120,
        preset="tiny",
        max_seq_length=32,
        batch_size=4,
        cache_dir=str(tmp_path.parent / "cache"),
    )
    prepared = prepare_pretraining(spec)
    trainer = Trainer(prepared.model, prepared.task, TrainingArguments(max_steps=12, warmup_steps=2, seed=1))
    recorder = None
    if record:
        words, groups = timelapse_words(prepared.corpus.texts(), prepared.tokenizer, n=20)
        recorder = TimelapseRecorder(tmp_path, prepared.tokenizer, PROBES, words, groups, frames=4)
        recorder.attach(trainer)
    trainer.train()
    return trainer, recorder


def test_frames_are_recorded_read_back_and_leave_the_trained_model_unchanged(tmp_path: Path, pinned_gemm) -> None:
    trainer, recorder = _train(tmp_path / "recorded", record=True)
    assert recorder is not None
    lapse = Timelapse.open(tmp_path / "recorded")
    assert lapse is not None
    assert lapse.steps == [0, 3, 6, 9, 10, 12]  # step 0, every 12/4 steps, the early step 10, the end
    assert "monday" in lapse.words and lapse.groups[lapse.words.index("monday")] == "days"
    L, H = trainer.model.config.num_hidden_layers, trainer.model.config.num_attention_heads
    first, last = lapse.frame(0), lapse.frame(12)
    for frame in (first, last):
        assert [a.shape for a in frame.attention] == [(L, H, len(t), len(t)) for t in lapse.tokens]
        np.testing.assert_allclose(frame.attention[0].sum(-1), 1.0, atol=2e-3)  # float16 rows still sum to 1
        assert frame.words_last.shape == (len(lapse.words), trainer.model.config.hidden_size)
        assert [len(g) for g in frame.guesses] == [1, 1] and len(frame.guesses[0][0]) == 5
    assert not np.allclose(first.words_last, last.words_last)  # training moved the words
    stats = lapse.head_statistics()
    assert stats["entropy"].shape == (len(lapse.steps), L, H) and (stats["entropy"] >= 0).all()
    assert lapse.size_bytes() < 200_000
    plain, _ = _train(tmp_path / "plain", record=False)
    for a, b in zip(trainer.model.parameters(), plain.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_run_without_a_timelapse_opens_as_none(tmp_path: Path) -> None:
    assert Timelapse.open(tmp_path) is None
    (tmp_path / "timelapse").mkdir()
    (tmp_path / "timelapse" / "meta.json").write_text("{not json")
    assert Timelapse.open(tmp_path) is None


def test_aligned_maps_undo_a_rotation_between_frames() -> None:
    rng = np.random.default_rng(0)
    last = rng.normal(size=(40, 16))
    theta = 1.1
    turn = np.eye(16)
    turn[:2, :2] = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    earlier = last @ turn  # the same cloud, rotated in the model's space
    maps = aligned_maps([earlier, rng.normal(size=(40, 16)), last])
    np.testing.assert_allclose(maps[0], maps[2], atol=1e-4)  # a pure rotation lines up exactly
    assert not np.allclose(maps[1], maps[2], atol=1e-2)  # another cloud does not
    assert [m.shape for m in maps] == [(40, 2)] * 3


def test_timelapse_words_follow_the_frequent_words_and_the_known_groups(tokenizer) -> None:
    words, groups = timelapse_words(["the cat sat on the mat . the dog ran"], tokenizer, n=3)
    assert words == ["the", "cat", "sat"] and groups == ["function word", "frequent word", "frequent word"]
