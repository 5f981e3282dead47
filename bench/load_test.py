"""Classroom load test: N real browser sessions use fill-mask and attention while one run trains.

Starts `streamlit run explorer/app.py` on a free localhost port (runs and uploads in a temp folder, one
tiny saved run to inspect), opens one headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) with one browser context per student, starts a pretraining run from an extra session, and
then has every student, at the same time: pick the tiny run in the sidebar, open *Fill in the blank*
and type `--rounds` new sentences, then open *Attention* and type `--rounds` more. A response time is
the wall time from pressing Enter to the new result on screen with Streamlit idle. Any exception box,
error message or timeout counts as an error.

    .venv/bin/python -m bench.load_test                 # 20 sessions × (3 + 3) queries, localhost only
    .venv/bin/python -m bench.load_test --sessions 30 --rounds 5 --json bench/results/load.json

Bounded: at most `--sessions` (≤ 40) pages and `--time-limit` seconds (default 600), then it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .server import IDLE_JS, streamlit_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
RUN = "load-tiny"


def make_tiny_run(root: Path) -> None:
    """A 2-layer, 128-wide BERT with a 400-piece vocabulary (what the students inspect)."""
    import torch

    from bert_core import BertConfig, BertForPreTraining
    from bert_core.checkpoint import RunDirectory
    from bert_core.data import resolve_corpus
    from bert_core.tokenizer import Tokenizer

    sentences = [s for d in resolve_corpus("builtin:lee").documents[:60] for s in d]
    tokenizer = Tokenizer.train(sentences, vocab_size=400)
    run = RunDirectory(root / RUN)
    run.update_info(
        kind="pretraining",
        created_at=time.time(),
        corpus="builtin:lee",
        status="finished",
        steps=1,
        model={"layers": 2, "hidden": 128, "heads": 2},
    )
    torch.manual_seed(0)
    run.save_checkpoint(
        1,
        BertForPreTraining(BertConfig.from_preset("tiny", vocab_size=tokenizer.vocab_size)),
        tokenizer,
        {"status": "finished"},
    )


@contextlib.contextmanager
def server(tmp: Path, threads: int):
    with streamlit_server(tmp, start_timeout_s=90, BERT_EXPLORER_MAX_JOBS="1", OMP_NUM_THREADS=str(threads)) as url:
        yield url


async def idle(page, timeout_s: float) -> None:
    await page.wait_for_function(IDLE_JS, timeout=timeout_s * 1000)


async def check(page, where: str, errors: list[str]) -> None:
    for testid in ("stException", "stAlertContentError", "stAlertContainer"):
        boxes = page.locator(f'[data-testid="{testid}"]')
        if await boxes.count():
            errors.append(f"{where}: {(await boxes.first.inner_text())[:200]}")


async def goto(page, link: str, heading: str, timeout_s: float) -> None:
    await page.get_by_role("link", name=link).first.click()
    await page.get_by_role("heading", name=heading).wait_for(timeout=timeout_s * 1000)
    await idle(page, timeout_s)


async def student(
    n: int, browser, url: str, rounds: int, timings: dict, errors: list[str], timeout_s: float, delay_s: float
) -> None:
    await asyncio.sleep(delay_s)  # students arrive over a few seconds, not in the same millisecond
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(timeout_s * 1000)
    page = await context.new_page()
    try:
        started = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=timeout_s * 1000)
        await idle(page, timeout_s)
        timings["open"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        await page.get_by_role("option", name=f"Run: {RUN}").click()
        await idle(page, timeout_s)
        timings["pick model"].append(time.perf_counter() - started)

        await goto(page, "Fill in the blank", "Fill in the blank", timeout_s)
        box = page.get_by_label("Sentence", exact=True)
        for r in range(rounds):
            marker = f"q{n}r{r}"  # echoed in "The model sees: …", so we know this query's run has begun
            await box.fill(f"the police said the [MASK] was closed on {marker} .")
            started = time.perf_counter()
            await box.press("Enter")
            await page.get_by_text(marker).first.wait_for(timeout=timeout_s * 1000)
            await idle(page, timeout_s)
            await page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=timeout_s * 1000)
            timings["fill-mask"].append(time.perf_counter() - started)
            await check(page, f"session {n} fill-mask {r}", errors)

        await goto(page, "Attention", "Attention", timeout_s)
        box = page.get_by_label("Sentence A", exact=True)
        for r in range(rounds):
            words = 4 + (n + r) % 7 + r * 8  # a new token count each round: the caption shows it
            await box.fill("the " * words + ".")
            started = time.perf_counter()
            await box.press("Enter")
            await page.get_by_text(f"{words + 3} tokens").first.wait_for(timeout=timeout_s * 1000)
            await idle(page, timeout_s)
            timings["attention"].append(time.perf_counter() - started)
            await check(page, f"session {n} attention {r}", errors)
    except Exception as exc:  # noqa: BLE001 - a timeout or a missing element is a failed session
        errors.append(f"session {n}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(Path(tempfile.gettempdir()) / f"load_test_fail_{n}.png"))
    finally:
        await context.close()


async def start_training(browser, url: str) -> object:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(180_000)
    page = await context.new_page()
    await page.goto(url, wait_until="commit")
    await page.get_by_role("heading", name="BERT Explorer").wait_for(timeout=90_000)
    await goto(page, "Pretrain", "Pretrain a BERT", 90)
    await page.get_by_role("button", name="Start", exact=True).click()
    await page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=180_000)  # first step done
    return context


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def training_steps(tmp: Path) -> int:
    runs = [p for p in (tmp / "runs").iterdir() if p.is_dir() and p.name != RUN]
    lines = [
        line
        for p in runs
        for line in (p / "metrics.jsonl").read_text().splitlines()
        if (p / "metrics.jsonl").is_file() and '"eval"' not in line
    ]
    return len(lines)


async def main_async(args: argparse.Namespace) -> dict:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="bert_load_") as tmp_name:
        tmp = args.keep or Path(tmp_name)
        make_tiny_run(tmp / "runs")
        with server(tmp, args.server_threads) as url:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                trainer = await start_training(browser, url)
                steps_before = training_steps(tmp)
                timings: dict[str, list[float]] = {"open": [], "pick model": [], "fill-mask": [], "attention": []}
                errors: list[str] = []
                load_before = os.getloadavg()
                started = time.perf_counter()
                try:
                    await asyncio.wait_for(
                        asyncio.gather(
                            *[
                                student(n, browser, url, args.rounds, timings, errors, args.timeout, n * args.ramp)
                                for n in range(args.sessions)
                            ]
                        ),
                        args.time_limit,
                    )
                except TimeoutError:
                    errors.append(f"the time limit ({args.time_limit:.0f} s) ended the test")
                wall = time.perf_counter() - started
                load_after = os.getloadavg()
                steps = training_steps(tmp) - steps_before
                await trainer.close()
                await browser.close()
    queries = timings["fill-mask"] + timings["attention"]
    summary = {
        "sessions": args.sessions,
        "rounds": args.rounds,
        "ramp_s": args.ramp,
        "wall_s": round(wall, 1),
        "errors": errors,
        "queries": len(queries),
        "expected_queries": 2 * args.sessions * args.rounds,
        "training_steps_during_test": steps,
        "cpu_cores": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }
    for name, values in {**timings, "all queries": queries}.items():
        if values:
            summary[name] = {
                "n": len(values),
                "p50_s": round(statistics.median(values), 2),
                "p95_s": round(percentile(values, 0.95), 2),
                "max_s": round(max(values), 2),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (at most 40)")
    parser.add_argument("--rounds", type=int, default=3, help="queries per page per session")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds one response may take")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole test")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds between two sessions' arrivals")
    parser.add_argument("--server-threads", type=int, default=1, help="OMP_NUM_THREADS of the server")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--keep", type=Path, help="a folder for the server log and runs (default: a temp folder)")
    args = parser.parse_args()
    args.sessions = max(1, min(args.sessions, 40))
    summary = asyncio.run(main_async(args))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    sys.exit(1 if summary["errors"] or summary["queries"] < summary["expected_queries"] else 0)


if __name__ == "__main__":
    main()
