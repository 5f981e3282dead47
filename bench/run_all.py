"""Run every benchmark and write `bench/results/latest.json` and `latest.md`.

python -m bench              # full run (~10 min on 2 CPU threads)
python -m bench --quick      # smoke run: small batches, few repeats (~1-2 min)
python -m bench --device cuda --compile --batch 256   # GPU: bf16 autocast, CUDA max allocated, torch.compile rows
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from .common import loadavg, machine_info
from .finetune import bench_finetuning
from .finetune_qa import bench_qa
from .inference import bench_attentions, bench_fill_mask
from .memory import in_subprocess
from .peak import matmul_peak, peak_probe
from .pretrain import bench_pretraining

RESULTS = Path(__file__).resolve().parent / "results"
GOALS = {  # (section, ratio key): minimum ratio, from issue 6 (CPU, fp32)
    ("pretrain", "mini"): ("bert_core_vs_hf_sdpa", 3.0),
    ("pretrain", "small"): ("bert_core_vs_hf_sdpa", 2.0),
    ("finetune", None): ("bert_core_vs_hf_sdpa", 1.2),
    ("fill_mask", None): ("bert_core_vs_hf_eager", 1.3),
    ("attentions", None): ("bert_core_vs_hf_eager", 1.3),
}
MFU_GOAL = 0.40


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device)
    bf16 = device.type == "cuda"  # CPU goals are fp32; bf16 on CPU is measured separately (extras)
    dtype = torch.bfloat16 if bf16 else torch.float32
    quick = args.quick
    batch, reps, warm = (8, 3, 1) if quick else (args.batch, args.repeats, 2)
    presets = args.presets
    out: dict[str, Any] = {"machine": machine_info(device), "quick": quick, "started": time.strftime("%F %T")}

    def log(msg: str) -> None:
        # Save what is done so far: a long run on a busy machine may be cut short.
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "partial.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"[{time.strftime('%T')} load {loadavg()}] {msg}", flush=True)

    log("matmul peak")
    sizes = (2048, 4096, 8192) if device.type == "cuda" else (1024, 2048) if quick else (1024, 2048, 4096)
    out["peak"] = matmul_peak(device, dtype, sizes=sizes)
    probe = peak_probe(device, dtype, n=8192 if device.type == "cuda" else 2048, kernel=out["peak"]["peak_kernel"])
    out["pretrain"], out["finetune"], out["fill_mask"], out["attentions"], out["memory"] = [], [], [], [], []
    out["extras"] = []
    for preset in presets:
        log(f"pretraining step {preset}")
        out["pretrain"].append(
            bench_pretraining(preset, device=device, batch=batch, repeats=reps, warmup=warm, bf16=bf16, peak_fn=probe)
        )
    for preset in presets:
        log(f"fine-tuning step {preset}")
        out["finetune"].append(
            bench_finetuning(preset, device=device, batch=batch, repeats=reps, warmup=warm, bf16=bf16)
        )
    log("QA fine-tuning step minilm 16x160 (and sentiment at equal tokens)")
    out["finetune_qa"] = [
        bench_qa("minilm", device=device, batch=8 if quick else 16, seq=160, repeats=reps, warmup=warm)
    ]
    for preset in presets:
        for seq in (32, 128):
            log(f"fill-mask {preset} 1x{seq}")
            out["fill_mask"].append(bench_fill_mask(preset, seq, device=device, bf16=bf16, repeats=5 if quick else 15))
            log(f"attentions {preset} 1x{seq}")
            out["attentions"].append(
                bench_attentions(preset, seq, device=device, bf16=bf16, repeats=5 if quick else 15)
            )
    for preset in presets:
        for side in ("bert_core", "hf_sdpa", "hf_eager"):
            log(f"memory pretrain {preset} {side}")
            out["memory"].append(in_subprocess(side, "pretrain", preset, args.device, batch, 128, 2))
    if args.extras:
        preset = presets[0]
        if device.type == "cpu":
            log(f"extra: bf16 autocast pretraining {preset} (opt-in on CPU)")
            out["extras"].append(
                {
                    "name": "bf16 autocast (CPU)",
                    **bench_pretraining(
                        preset, device=device, batch=batch, repeats=reps, warmup=warm, bf16=True, sides=("sdpa",)
                    ),
                }
            )
        log(f"extra: fused AdamW pretraining {preset}")
        out["extras"].append(
            {
                "name": "fused AdamW",
                **bench_pretraining(
                    preset,
                    device=device,
                    batch=batch,
                    repeats=reps,
                    warmup=warm,
                    bf16=bf16,
                    optimizer="fused",
                    sides=("sdpa",),
                    peak_fn=probe,
                ),
            }
        )
    if args.compile:
        for preset in presets:
            log(f"extra: torch.compile pretraining {preset} (both sides compiled, fused AdamW)")
            try:
                out["extras"].append(
                    {
                        "name": "torch.compile + fused AdamW",
                        **bench_pretraining(
                            preset,
                            device=device,
                            batch=batch,
                            repeats=reps,
                            warmup=max(warm, 3),
                            bf16=bf16,
                            optimizer="fused",
                            sides=("sdpa",),
                            peak_fn=probe,
                            compile=True,
                        ),
                    }
                )
            except Exception as exc:  # noqa: BLE001 - a compiler failure is a result to record, not a crash
                out["extras"].append(
                    {
                        "name": "torch.compile + fused AdamW",
                        "preset": preset,
                        "error": f"{type(exc).__name__}: {exc}"[:500],
                    }
                )
    out["machine"]["loadavg_end"] = loadavg()
    out["finished"] = time.strftime("%F %T")
    return out


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def _goal(section: str, preset: str, ratios: dict[str, float]) -> str:
    key, minimum = GOALS.get((section, preset)) or GOALS.get((section, None)) or (None, None)
    if key is None or key not in ratios:
        return ""
    return f"≥{minimum}× {'✅' if ratios[key] >= minimum else '❌'}"


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        "# Benchmark results" + (" (quick smoke run: not representative)" if res["quick"] else ""),
        "",
        f"- machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, torch threads {m['torch_threads']}, "
        f"AVX512-BF16 {'yes' if m['avx512_bf16'] else 'no'}, device `{m['device']}`"
        + (f" ({m['gpu']})" if "gpu" in m else ""),
        f"- torch {m['torch']}, transformers {m['transformers']}, python {m['python']}",
        f"- load average (1/5/15 min) at start {m['loadavg']}, at end {m['loadavg_end']}; run {res['started']} → "
        f"{res['finished']}",
        f"- {res['peak']['dtype']} matmul peak (median of large square matmuls, best kernel): "
        f"{res['peak']['peak_flops'] / 1e9:,.0f} GFLOP/s on {res['peak']['peak_kernel']} ("
        + "; ".join(
            f"{kernel}: " + ", ".join(f"{n}: {v / 1e9:,.0f}" for n, v in by_size.items())
            for kernel, by_size in res["peak"]["per_kernel_flops"].items()
        )
        + ")",
        "",
        "Medians over interleaved rounds; a ratio is the median of per-round time ratios (>1: bert_core faster);",
        "the last column divides the best (least disturbed) times instead.",
        "",
        "| benchmark | preset | shape | unit | bert_core | hf sdpa | hf eager | ×sdpa | ×eager | goal "
        "| best-of-N ×sdpa / ×eager |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for section, label in (
        ("pretrain", "pretraining step"),
        ("finetune", "fine-tuning step (cls)"),
        ("fill_mask", "fill-mask query"),
        ("attentions", "attention extraction"),
    ):
        for r in res[section]:
            unit = r["unit"]
            sides = r["sides"]
            cell = {k: _fmt_rate(v[f"median_{unit}"]) for k, v in sides.items()}
            ratios = r["ratios"]
            lines.append(
                f"| {label} | {r['preset']} | {r['batch']}×{r['seq']} | {unit.replace('_per_s', '/s')} | "
                f"{cell['bert_core']} | {cell.get('hf_sdpa', 'n/a')} | {cell.get('hf_eager', 'n/a')} | "
                f"{ratios.get('bert_core_vs_hf_sdpa', float('nan')):.2f} | "
                f"{ratios.get('bert_core_vs_hf_eager', float('nan')):.2f} | "
                f"{_goal(section, r['preset'], ratios)} | "
                f"{r['ratios_of_best'].get('bert_core_vs_hf_sdpa', float('nan')):.2f} / "
                f"{r['ratios_of_best'].get('bert_core_vs_hf_eager', float('nan')):.2f} |"
            )
    for r in res.get("finetune_qa", []):
        s, q = r["sides"], r["ratios"]
        lines += [
            "",
            "| QA fine-tuning step (bench/finetune_qa.py) | shape | bert_core | bert_core recipe "
            "(bottom third fixed) | hf sdpa | bert_core sentiment, same tokens | ×sdpa | QA/sentiment per "
            "token (full / recipe) |",
            "|---|---|---|---|---|---|---|---|",
            f"| tokens/s | {r['preset']} {r['batch']}×{r['seq']} | "
            f"{_fmt_rate(s['bert_core']['median_tokens_per_s'])} | "
            f"{_fmt_rate(s['bert_core_recipe']['median_tokens_per_s'])} | "
            f"{_fmt_rate(s['hf_sdpa']['median_tokens_per_s'])} | "
            f"{_fmt_rate(s['bert_core_cls']['median_tokens_per_s'])} | {q['bert_core_vs_hf_sdpa']:.2f} | "
            f"{q['qa_vs_cls_per_token']:.2f} / {q['qa_recipe_vs_cls_per_token']:.2f} |",
        ]
    lines += [
        "",
        "| pretraining MFU (useful FLOPs / step time / peak measured in the same rounds) | preset | "
        "GFLOP/step | bert_core | hf sdpa | hf eager | goal | bert_core hardware utilisation (executed GFLOP/step) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["pretrain"]:
        if "mfu" in r:
            mfu = r["mfu"]
            lines.append(
                f"| | {r['preset']} | {r['useful_flops_per_step'] / 1e9:,.1f} | {mfu['bert_core']:.0%} | "
                f"{mfu.get('hf_sdpa', float('nan')):.0%} | {mfu.get('hf_eager', float('nan')):.0%} | "
                f"≥{MFU_GOAL:.0%} {'✅' if mfu['bert_core'] >= MFU_GOAL else '❌'} | "
                f"{r['bert_core_hfu']:.0%} ({r['bert_core_executed_flops_per_step'] / 1e9:,.1f}) |"
            )
    lines += [
        "",
        "| peak memory, pretraining step (fresh process per side) | preset | bert_core | hf sdpa | hf eager |",
        "|---|---|---|---|---|",
    ]
    for preset in sorted({r["preset"] for r in res["memory"]}, key=[r["preset"] for r in res["memory"]].index):
        rows = {r["side"]: r for r in res["memory"] if r["preset"] == preset}
        key = "cuda_max_allocated_mib" if "cuda_max_allocated_mib" in rows["bert_core"] else "peak_rss_mib"
        cells = [
            f"{rows[s][key]:,.0f} MiB (+{rows[s]['peak_minus_before_mib']:,.0f})" if s in rows else "n/a"
            for s in ("bert_core", "hf_sdpa", "hf_eager")
        ]
        lines.append(
            f"| {key.replace('_mib', '')} (+ growth during the steps) | {preset} | " + " | ".join(cells) + " |"
        )
    if res["extras"]:
        lines += [
            "",
            "| extra (not a goal) | preset | shape | bert_core tokens/s | hf sdpa tokens/s | ×sdpa "
            "| MFU bert_core / hf sdpa |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in res["extras"]:
            if "error" in r:
                lines.append(f"| {r['name']} | {r['preset']} | | failed: {r['error'][:120]} | | | |")
                continue
            s = r["sides"]
            mfu = r.get("mfu")
            lines.append(
                f"| {r['name']} | {r['preset']} | {r['batch']}×{r['seq']} | "
                f"{_fmt_rate(s['bert_core']['median_tokens_per_s'])} | "
                f"{_fmt_rate(s['hf_sdpa']['median_tokens_per_s'])} | "
                f"{r['ratios']['bert_core_vs_hf_sdpa']:.2f} | "
                + (f"{mfu['bert_core']:.0%} / {mfu['hf_sdpa']:.0%} |" if mfu else "n/a |")
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: batch 8, few repeats, one preset")
    parser.add_argument("--device", default="cpu", help="cpu (fp32) or cuda (bf16 autocast)")
    parser.add_argument("--presets", nargs="+", default=None, help="default: mini small (quick: mini)")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per training benchmark")
    parser.add_argument("--batch", type=int, default=32, help="sequences per training step (the goals use 32)")
    parser.add_argument(
        "--compile", action="store_true", help="add torch.compile rows (both sides compiled; slow to start)"
    )
    parser.add_argument(
        "--no-extras", dest="extras", action="store_false", help="skip the bf16-autocast and fused-AdamW rows on CPU"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for latest.json / latest.md")
    args = parser.parse_args(argv)
    if args.presets is None:
        args.presets = ["mini"] if args.quick else ["mini", "small"]
    if args.quick:
        args.extras = False
    torch.manual_seed(0)
    res = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    md = markdown(res)
    (args.out / "latest.md").write_text(md, encoding="utf-8")
    (args.out / "partial.json").unlink(missing_ok=True)
    print(md)


if __name__ == "__main__":
    main()
