"""`python -m bert_core demo`: the three lesson runs on --quick settings, kept on a second call; the estimate."""

from __future__ import annotations

import json
from pathlib import Path

from bert_core.checkpoint import RunDirectory
from bert_core.cli import main
from bert_core.cli.demo import PRETRAIN_RECIPE, QA_RECIPE, demo_steps, estimate_seconds, evaluations_left


def test_quick_demo_writes_three_runs_and_keeps_them(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0
    err = capsys.readouterr().err
    assert "estimated time left: about" in err
    for name, kind in (("demo-pretrain", "pretraining"), ("demo-sentiment", "finetuning"), ("demo-qa", "finetuning")):
        run = RunDirectory(tmp_path / name)
        info = json.loads((run.path / "run.json").read_text())
        assert run.latest_checkpoint() is not None and info["kind"] == kind and info["status"] == "finished"
    assert json.loads((tmp_path / "demo-qa" / "run.json").read_text())["task"] == "qa"
    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0  # a second call keeps what is there
    assert "nothing to do" in capsys.readouterr().out


def test_recipes_are_cli_commands_with_task_defaults() -> None:
    steps = demo_steps()
    assert [s.name for s in steps] == ["demo-pretrain", "demo-sentiment", "demo-qa"]
    assert steps[0].flags == PRETRAIN_RECIPE and "--preset" in PRETRAIN_RECIPE
    assert steps[2].flags == QA_RECIPE  # QA keeps the finetune command's own task defaults
    assert not {"--lr", "--epochs", "--max-seq-len", "--batch-size"} & set(QA_RECIPE)


def test_estimate_counts_steps_and_evaluations() -> None:
    assert evaluations_left(300, 0, 3) == 1  # the final evaluation only
    assert evaluations_left(360, 120, 3) == 3  # after epochs 1 and 2, and at the end
    assert estimate_seconds(100, 0.5, 2, 10.0) == 70.0
