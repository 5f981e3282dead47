"""A time-lapse of pretraining: small snapshots of the model's inside, recorded every so many steps.

Each frame holds, for a few probe sentences, every head's attention map and the top guesses at their
`[MASK]`s, and the vectors of a fixed list of words at the input (the word embeddings) and at the last
layer (the word encoded alone, `[CLS] word [SEP]`). Frames are written into the run directory beside
`metrics.jsonl`, so a saved run replays them:

    timelapse/meta.json                  probes, words, their groups, layers and heads
    timelapse/step-00000100.safetensors  attention.<i> (L, H, T_i, T_i), words.input / words.last (W, C),
                                         all float16; the step and the guesses in its metadata

A frame is taken at step 0, at steps 10, 25 and 50, then every `max_steps / frames` steps and at the end:
about `frames` frames whatever the run's length (a tiny model's 5-minute run: ~40 frames, ~3 MB).
Recording runs between optimizer steps in eval mode and never touches the training RNG: a run trains the
same model with or without it.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file
from torch import nn

from ..batching import batch_from_encodings, eval_mode, model_device, model_inputs
from ..inspect.attention import attentions, head_statistics
from ..inspect.encoder import encoder_of
from ..inspect.fill_mask import fill_mask
from ..io import atomic_write, atomic_write_text
from ..tokenizer.encoding import Tokenizer
from ..training import Trainer

__all__ = ["DEFAULT_PROBES", "FOLDER", "WORD_GROUPS", "Frame", "Timelapse", "TimelapseRecorder", "timelapse_words"]

FOLDER = "timelapse"
DEFAULT_PROBES = (  # the probe sentences of the CLI and of the app's Pretrain page (news: the classroom corpus)
    "The [MASK] rose sharply in early trading.",
    "The prime minister said the [MASK] would be held next year.",
    "Police said the man was [MASK] on Tuesday.",
)
EARLY_STEPS = (10, 25, 50)  # the first steps change the model most: frames there whatever the interval
MAX_WORDS = 300
# Words whose neighbours students know: a group pulls together as the model learns (if the vocabulary has them).
WORD_GROUPS: dict[str, tuple[str, ...]] = {
    "days": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "months": ("january", "february", "march", "april", "june", "july", "august", "september", "october"),
    "numbers": ("two", "three", "four", "five", "six", "seven", "eight", "ten", "hundred", "thousand", "million"),
    "people": ("man", "woman", "men", "women", "children", "father", "mother", "son", "daughter", "wife", "husband"),
    "countries": ("australia", "china", "france", "germany", "india", "japan", "russia", "britain", "iraq", "israel"),
    "politics": ("government", "minister", "president", "parliament", "party", "election", "leader", "senator"),
    "saying": ("said", "says", "told", "announced", "reported", "added", "asked"),
}
FUNCTION_WORDS = frozenset(
    "the a an of to in and or but on at by for with from as is was are were be been it its this that these those "
    "he she they we you i his her their our not no".split()
)
_WORD = re.compile(r"[a-z]+")


def timelapse_words(
    texts: Iterable[str], tokenizer: Tokenizer, n: int = 200, max_words: int = 300_000
) -> tuple[list[str], list[str]]:
    """The words to follow: the `n` most frequent words of the corpus (counted in its first `max_words`
    words) that are one token of the vocabulary, plus the members of `WORD_GROUPS` the vocabulary has.
    Returns (words, group of each word): a `WORD_GROUPS` name, "function word" or "frequent word"."""
    vocab = tokenizer.get_vocab()
    counts: Counter[str] = Counter()
    for text in texts:
        words = _WORD.findall(text.lower())
        counts.update(words)
        max_words -= len(words)
        if max_words <= 0:
            break
    group_of = {w: g for g, words in WORD_GROUPS.items() for w in words if w in vocab}
    frequent = [w for w, _ in counts.most_common() if w in vocab and len(w) > 1 and w not in group_of][:n]
    words = (list(group_of) + frequent)[:MAX_WORDS]
    groups = [group_of.get(w) or ("function word" if w in FUNCTION_WORDS else "frequent word") for w in words]
    return words, groups


@torch.inference_mode()
def word_vectors(model: nn.Module, tokenizer: Tokenizer, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(input, last): each word's embedding-layer output and last-layer vector, encoded alone. Both (W, C)."""
    encoder = encoder_of(model)
    with eval_mode(encoder):
        encodings = tokenizer.encode_batch(list(words), padding=True)
        inputs = model_inputs(batch_from_encodings(encodings, model_device(encoder)))
        assert inputs["input_ids"] is not None
        hidden = encoder(
            inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"], output_hidden_states=True
        ).hidden_states  # L + 1 tensors of (W, T, C)
    assert hidden is not None
    return hidden[0][:, 1].float().cpu().numpy(), hidden[-1][:, 1].float().cpu().numpy()  # position 1: the word


@dataclass
class Frame:
    """One snapshot of the model at `step`."""

    step: int
    attention: list[np.ndarray]  # per probe: (L, H, T, T) float32
    words_input: np.ndarray  # (W, C)
    words_last: np.ndarray  # (W, C)
    guesses: list[list[list[str]]]  # per probe, per [MASK]: top guesses, best first


class TimelapseRecorder:
    """Writes frames into `run_dir/timelapse` while a `Trainer` runs (see the module docstring).

    Args:
        folder: the run directory (frames go to its `timelapse/`).
        tokenizer: the model's tokenizer.
        probes: sentences with `[MASK]`s, recorded in every frame.
        words, groups: from `timelapse_words`.
        frames: about how many frames a run gets.
    """

    def __init__(
        self,
        folder: Path | str,
        tokenizer: Tokenizer,
        probes: Sequence[str],
        words: Sequence[str],
        groups: Sequence[str],
        frames: int = 30,
    ) -> None:
        if frames < 2:
            raise ValueError(f"a time-lapse needs at least 2 frames, got {frames}")
        self.path = Path(folder) / FOLDER
        self.tokenizer, self.probes = tokenizer, [p for p in probes if p.strip()]
        self.words, self.groups, self.frames = list(words), list(groups), frames
        self.seconds = 0.0  # time spent recording, for the "adds at most 5%" check
        self._last = -1
        self._layers_heads = (0, 0)

    def write_meta(self, layers: int, heads: int) -> None:
        """Write `meta.json` (what every frame holds, and the seconds spent recording so far); `attach` does
        it for a trainer's model, and again at the end of training."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._layers_heads = (layers, heads)
        meta = {
            "version": 1,
            "probes": self.probes,
            "tokens": [list(self.tokenizer.encode(p).tokens) for p in self.probes],
            "words": self.words,
            "groups": self.groups,
            "layers": layers,
            "heads": heads,
            "recording_s": round(self.seconds, 3),
        }
        atomic_write_text(self.path / "meta.json", json.dumps(meta))

    def attach(self, trainer: Trainer) -> None:
        """Record step 0 now, then frames as the trainer steps, and the last step at the end."""
        model = trainer.model
        self.write_meta(model.config.num_hidden_layers, model.config.num_attention_heads)
        if trainer.global_step == 0:
            self.record(model, 0)
        trainer.add_callback("on_step_end", self._on_step_end)
        trainer.add_callback("on_train_end", self._on_train_end)

    def is_frame(self, step: int, max_steps: int) -> bool:
        """Frames at the early steps, every `max_steps / frames` steps, and at `max_steps`."""
        interval = max(1, math.ceil(max_steps / self.frames))
        return step in EARLY_STEPS or step % interval == 0 or step == max_steps

    def _on_step_end(self, trainer: Trainer, _metrics: dict[str, float]) -> None:
        if trainer.dist.is_main and self.is_frame(trainer.global_step, trainer.args.max_steps):
            self.record(trainer.model, trainer.global_step)

    def _on_train_end(self, trainer: Trainer, _status: str) -> None:
        if not trainer.dist.is_main:
            return
        if self._last != trainer.global_step:  # a stop between frames: the last state
            self.record(trainer.model, trainer.global_step)
        self.write_meta(*self._layers_heads)  # with the total time spent recording

    def record(self, model: nn.Module, step: int) -> None:
        """Write the frame of `step` (a few milliseconds for a tiny model)."""
        started = time.perf_counter()
        tensors: dict[str, np.ndarray] = {}
        for i, probe in enumerate(self.probes):
            tensors[f"attention.{i}"] = attentions(model, self.tokenizer, probe).weights.astype(np.float16)
        guesses = [[m.tokens for m in r.masks] for r in fill_mask(model, self.tokenizer, self.probes)]
        if self.words:
            first, last = word_vectors(model, self.tokenizer, self.words)
            tensors["words.input"], tensors["words.last"] = first.astype(np.float16), last.astype(np.float16)
        file = self.path / f"step-{step:08d}.safetensors"
        # Atomic: the app's time-lapse reads the folder while frames are written.
        atomic_write(
            file, lambda tmp: save_file(tensors, str(tmp), {"step": str(step), "guesses": json.dumps(guesses)})
        )
        self._last = step
        self.seconds += time.perf_counter() - started


class Timelapse:
    """A run's recorded frames, read back (`Timelapse.open`)."""

    def __init__(self, path: Path, meta: dict, steps: list[int]) -> None:
        self.path, self.meta, self.steps = path, meta, steps
        self._stats: dict[str, np.ndarray] | None = None

    @classmethod
    def open(cls, run_dir: Path | str) -> Timelapse | None:
        """The time-lapse of a run directory, or None when it has none (older runs, or not recorded)."""
        path = Path(run_dir) / FOLDER
        try:
            meta = json.loads((path / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        steps = sorted(int(p.stem.removeprefix("step-")) for p in path.glob("step-*.safetensors"))
        return cls(path, meta, steps) if steps else None

    @property
    def probes(self) -> list[str]:
        return list(self.meta["probes"])

    @property
    def words(self) -> list[str]:
        return list(self.meta["words"])

    @property
    def groups(self) -> list[str]:
        return list(self.meta["groups"])

    def frame(self, step: int) -> Frame:
        """The frame recorded at `step` (one of `steps`)."""
        with safe_open(str(self.path / f"step-{step:08d}.safetensors"), "np") as fh:
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 (safe_open is not a dict)
            metadata = fh.metadata() or {}  # the guesses travel in the header's metadata
        n = len(self.meta["probes"])
        empty = np.zeros((0, 0), np.float32)
        return Frame(
            step,
            [tensors[f"attention.{i}"].astype(np.float32) for i in range(n)],
            tensors.get("words.input", empty).astype(np.float32),
            tensors.get("words.last", empty).astype(np.float32),
            json.loads(metadata.get("guesses", "[]")),
        )

    @property
    def tokens(self) -> list[list[str]]:
        """The tokens of each probe sentence, as the model read them."""
        return [list(t) for t in self.meta["tokens"]]

    def head_statistics(self) -> dict[str, np.ndarray]:
        """Each `HEAD_STATISTICS` entry over time: (S, L, H), averaged over the probe sentences."""
        if self._stats is None:
            per_step: list[dict[str, np.ndarray]] = []
            for step in self.steps:
                frame = self.frame(step)
                stats = [head_statistics(a, t) for a, t in zip(frame.attention, self.tokens)]
                per_step.append({k: np.mean([s[k] for s in stats], axis=0) for k in stats[0]})
            self._stats = {k: np.stack([s[k] for s in per_step]) for k in per_step[0]}
        return self._stats

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir())
