"""The classroom recipe from the Pretrain page and from `python -m bert_core pretrain --recipe classroom` trains
the very same model for the same seed and steps (issue 13, item 1)."""

from __future__ import annotations

from pathlib import Path

import torch
from apptest_helpers import APP, go, ok, start_pretraining
from safetensors.torch import load_file
from streamlit.testing.v1 import AppTest
from waiting import wait_until

from bert_core.checkpoint import RunDirectory
from bert_core.cli import main
from explorer import state


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(RunDirectory(run).latest_checkpoint() / "model.safetensors"))


def test_the_page_and_the_cli_train_the_same_model(env: Path, pinned_gemm: None) -> None:
    at = go(ok(AppTest.from_file(APP, default_timeout=120).run()), "pretrain")
    at.number_input(key=state.PRETRAIN_WARMUP).set_value(3)
    job = start_pretraining(at, "from-the-page", steps=6, batch=4)
    wait_until(lambda: not job.view().active, timeout=120)
    assert job.view().status == "finished"
    cli = env / "from-the-cli"
    flags = "--corpus builtin:lee --vocab stock --max-minutes 0 --warmup 3 --steps 6 --batch-size 4 --seq-len 32"
    assert main(["pretrain", "--recipe", "classroom", *flags.split(), "--out", str(cli), "--quiet"]) == 0
    page, line = _weights(env / "runs" / "from-the-page"), _weights(cli)
    assert page.keys() == line.keys()
    for name in page:
        torch.testing.assert_close(page[name], line[name], rtol=0, atol=0, msg=name)


def test_a_time_budget_on_the_page_ends_the_run_by_itself(env: Path) -> None:
    at = go(ok(AppTest.from_file(APP, default_timeout=120).run()), "pretrain")
    job = start_pretraining(at, "on-a-budget", steps=100_000, batch=4, minutes=0.15)  # 9 seconds
    wait_until(lambda: not job.view().active, timeout=120)
    view = job.view()
    assert view.status in ("finished", "stopped")  # "stopped": the machine slowed down after the fit
    info = RunDirectory(env / "runs" / "on-a-budget").read_info()
    assert 8 <= info["steps"] <= info["args"]["max_steps"] < 100_000  # fitted, far below the cap
    if view.status == "finished":
        assert info["steps"] == info["args"]["max_steps"]
