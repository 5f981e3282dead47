"""Extractive-QA fine-tuning step: bert_core vs transformers' BertForQuestionAnswering, and QA vs sentiment.

One run times, interleaved (A B C A B C …), on one set of weights:
- `bert_core`: `BertForQuestionAnswering` forward + start/end loss + backward + AdamW, on a QA batch
  shaped like the built-in set's features (`[CLS] question [SEP] context [SEP]`, rows of 85-100 % of
  `seq` tokens, padded to the longest row as the fine-tuning collator does);
- `hf_sdpa`: `transformers.BertForQuestionAnswering` (sdpa) on the same batch;
- `bert_core_recipe`: the same bert_core step with QA's default recipe, which keeps the embeddings and
  the lowest third of the layers fixed (`finetune_recipe`): what `finetune --task qa` runs;
- `bert_core_cls`: bert_core's sentiment step (`BertForSequenceClassification`, rows of `cls_seq`
  tokens) on a batch of the **same number of tokens**, so tokens/s compare the two task paths.

Run: `python -m bench.finetune_qa [--preset minilm] [--batch 16] [--seq 160] [--repeats 5]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

import torch

import bert_core
from bert_core import BertConfig
from bert_core.assets import minilm_dir
from bert_core.finetuning.recipe import default_freeze_layers
from bert_core.finetuning.start import freeze_bottom

from .common import VOCAB_CLS, VOCAB_SEP, interleaved, loadavg, summarise, twin_models
from .finetune import classification_batch
from .pretrain import make_optimizer


def bench_config(preset: str) -> BertConfig:
    """`minilm`: the packaged MiniLM's shape (6 × 384, 12 heads, 30,522 words); else a bert_core preset."""
    if preset == "minilm":
        return BertConfig.from_json(minilm_dir())
    return BertConfig.from_preset(preset)


def qa_batch(
    config: BertConfig, batch: int, seq: int, device: torch.device, question: int = 14, seed: int = 3
) -> dict[str, Any]:
    """A padded QA batch: row lengths uniform in [0.85·seq, seq] (one full row), a `question`-token
    first segment, answers of 1-4 tokens inside the context."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(int(0.85 * seq), seq + 1, (batch,), generator=gen)
    lengths[0] = seq
    positions = torch.arange(seq)[None, :]  # (1, T)
    attention_mask = (positions < lengths[:, None]).long()  # (B, T)
    input_ids = torch.randint(min(1000, config.vocab_size // 2), config.vocab_size, (batch, seq), generator=gen)
    input_ids[:, 0] = VOCAB_CLS
    input_ids[:, question + 1] = VOCAB_SEP
    input_ids[torch.arange(batch), lengths - 1] = VOCAB_SEP
    input_ids = input_ids.masked_fill(attention_mask == 0, 0)
    token_type_ids = ((positions > question + 1) & (attention_mask == 1)).long()  # (B, T)
    start = torch.randint(question + 2, int(0.85 * seq) - 5, (batch,), generator=gen)
    end = start + torch.randint(0, 4, (batch,), generator=gen)
    out = dict(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        start_positions=start,
        end_positions=end,
    )
    return {k: v.to(device) for k, v in out.items()}


def _step(model: torch.nn.Module, data: dict[str, Any]):
    model.train()
    opt = make_optimizer(model, "default")

    def step() -> None:
        model(**data).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def bench_qa(
    preset: str = "minilm",
    *,
    device: torch.device,
    batch: int = 16,
    seq: int = 160,
    cls_seq: int = 64,
    repeats: int = 5,
    warmup: int = 1,
) -> dict[str, Any]:
    """Tokens/s of the four steps (real, unpadded tokens) and the ratios bert_core QA / transformers QA
    and bert_core QA / bert_core sentiment (per token), for the full and the recipe's QA step."""
    config = bench_config(preset)
    models = twin_models("BertForQuestionAnswering", config, ("sdpa",), device)
    qa = qa_batch(config, batch, seq, device)
    qa_tokens = int(qa["attention_mask"].sum())
    cls_rows = max(1, qa_tokens // cls_seq)
    cls_config = BertConfig.from_dict({**config.to_dict(), "num_labels": 2})
    torch.manual_seed(0)
    cls_model = bert_core.BertForSequenceClassification(cls_config).to(device)
    cls = classification_batch(cls_config, cls_rows, cls_seq, device)
    cls["attention_mask"] = None  # nothing padded: every row is cls_seq long, as the same tokens on both paths
    cls_tokens = cls_rows * cls_seq
    recipe_model = bert_core.BertForQuestionAnswering(config).to(device)
    recipe_model.load_state_dict(models["bert_core"].state_dict())
    freeze_bottom(recipe_model, default_freeze_layers("qa", "builtin:minilm", config.num_hidden_layers))
    steps = {
        "bert_core": _step(models["bert_core"], qa),
        "hf_sdpa": _step(models["hf_sdpa"], qa),
        "bert_core_recipe": _step(recipe_model, qa),
        "bert_core_cls": _step(cls_model, cls),
    }
    times = interleaved(steps, repeats=repeats, warmup=warmup, device=device)
    result = summarise({k: times[k] for k in ("bert_core", "hf_sdpa")}, qa_tokens, "tokens_per_s", ("hf_sdpa",))

    def per_token(side: str) -> float:  # > 1: the QA side handles more tokens per second than sentiment
        return statistics.median(
            [(c / cls_tokens) / (q / qa_tokens) for q, c in zip(times[side], times["bert_core_cls"])]
        )

    result["sides"]["bert_core_recipe"] = {
        "median_s": statistics.median(times["bert_core_recipe"]),
        "median_tokens_per_s": qa_tokens / statistics.median(times["bert_core_recipe"]),
        "runs": repeats,
    }
    result["sides"]["bert_core_cls"] = {
        "median_s": statistics.median(times["bert_core_cls"]),
        "median_tokens_per_s": cls_tokens / statistics.median(times["bert_core_cls"]),
        "runs": repeats,
        "batch": cls_rows,
        "seq": cls_seq,
    }
    result["ratios"]["qa_vs_cls_per_token"] = per_token("bert_core")
    result["ratios"]["qa_recipe_vs_cls_per_token"] = per_token("bert_core_recipe")
    result["ratios"]["qa_recipe_vs_hf_sdpa"] = statistics.median(
        [h / r for r, h in zip(times["bert_core_recipe"], times["hf_sdpa"])]
    )
    result.update(
        preset=preset,
        batch=batch,
        seq=int(qa["input_ids"].size(1)),
        real_tokens=qa_tokens,
        cls_tokens=cls_tokens,
        threads=torch.get_num_threads(),
        loadavg=loadavg(),
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="minilm", help="minilm (the packaged model's shape) or a bert_core preset")
    parser.add_argument("--batch", type=int, default=16, help="QA rows per step (the app's default)")
    parser.add_argument("--seq", type=int, default=160, help="longest QA row (built-in set: 131-178 tokens)")
    parser.add_argument("--cls-seq", type=int, default=64, help="sentiment row length (the app's default)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    r = bench_qa(
        args.preset,
        device=torch.device(args.device),
        batch=args.batch,
        seq=args.seq,
        cls_seq=args.cls_seq,
        repeats=args.repeats,
    )
    s = r["sides"]
    print(json.dumps(r, indent=2))
    print(
        f"\nQA step {args.preset} {r['batch']}×{r['seq']} ({r['real_tokens']} real tokens), "
        f"{r['threads']} threads, load {r['loadavg']}:\n"
        f"  bert_core QA       {s['bert_core']['median_tokens_per_s']:8,.0f} tokens/s\n"
        f"  transformers QA    {s['hf_sdpa']['median_tokens_per_s']:8,.0f} tokens/s   "
        f"bert_core ×{r['ratios']['bert_core_vs_hf_sdpa']:.2f} "
        f"(best-of-N ×{r['ratios_of_best']['bert_core_vs_hf_sdpa']:.2f})\n"
        f"  bert_core QA recipe {s['bert_core_recipe']['median_tokens_per_s']:7,.0f} tokens/s   "
        f"×{r['ratios']['qa_recipe_vs_hf_sdpa']:.2f} vs transformers (bottom third of the layers fixed)\n"
        f"  bert_core sentiment {s['bert_core_cls']['median_tokens_per_s']:7,.0f} tokens/s "
        f"({s['bert_core_cls']['batch']}×{args.cls_seq})\n"
        f"  QA / sentiment per token: full ×{r['ratios']['qa_vs_cls_per_token']:.2f}, "
        f"recipe ×{r['ratios']['qa_recipe_vs_cls_per_token']:.2f}"
    )


if __name__ == "__main__":
    main()
