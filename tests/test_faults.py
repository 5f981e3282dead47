"""Faults that must lose nothing (issue 15, items 2–3): a server killed mid-training leaves an
*interrupted* run that resumes exactly; damaged model files are marked with the reason on the Runs page and
in the sidebar while every other run keeps working."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from apptest_helpers import ok, owner_of, page, save_run, session, start_pretraining, text  # noqa: F401
from safetensors.torch import load_file

from bert_core.checkpoint import RunDirectory
from bert_core.tokenizer import Tokenizer
from explorer import state
from explorer.jobs.registry import job_registry
from explorer.runs import access as run_access


# ---------------------------------------------------------------- a server killed mid-training
def test_an_interrupted_run_is_listed_so_and_resumes_exactly(env: Path) -> None:
    alice = page(session(), "pretrain")
    job = start_pretraining(alice, "killed-run", steps=4, save_every=2)
    assert job.join(180) and job.view().status == "finished", job.view().message
    run = RunDirectory(env / "runs" / "killed-run")
    reference = load_file(str(run.latest_checkpoint() / "model.safetensors"))  # the uninterrupted step 4

    # what SIGKILL at step 3 leaves: run.json says running, the newest checkpoint is step 2
    shutil.rmtree(run.path / "checkpoint-4")
    run.update_info(status="running", steps=3)
    job_registry.clear()  # a new server process: no jobs

    again = page(session(sid=alice.session_state[state.SESSION_ID]), "runs")
    table = again.dataframe[0].value
    assert dict(zip(table["name"], table["status"])) == {"killed-run": "interrupted"}
    assert "was interrupted" in text(again) and "step 2" in text(again)
    stranger = page(session(), "runs")  # the run is not the stranger's: no Resume button
    assert not any(b.key == "runs_resume" for b in stranger.button)

    ok(again.button(key="runs_resume").click().run())
    resumed = job_registry().get(owner_of(again))
    assert resumed is not None and resumed.join(180) and resumed.view().status == "finished"
    resumed_weights = load_file(str(run.latest_checkpoint() / "model.safetensors"))
    assert run.latest_checkpoint().name == "checkpoint-4"
    for name, tensor in reference.items():
        torch.testing.assert_close(resumed_weights[name], tensor, atol=1e-6, rtol=0, msg=name)
    assert [r["step"] for r in run.read_metrics() if "eval" not in r] == [1, 2, 3, 4]


# ---------------------------------------------------------------- damaged model files
def _truncate(checkpoint: Path) -> None:
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])


def _bad_config(checkpoint: Path) -> None:
    (checkpoint / "config.json").write_text('{"hidden_size": 128,')


def _no_vocabulary(checkpoint: Path) -> None:
    for name in ("vocab.txt", "tokenizer.json"):
        (checkpoint / name).unlink(missing_ok=True)


def _torn_metrics(checkpoint: Path) -> None:
    with open(checkpoint.parent / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 2, "mlm_lo')


DAMAGE = {
    "truncated weights": (_truncate, "model.safetensors is cut short", True),
    "invalid config": (_bad_config, "config.json is invalid", True),
    "no vocabulary": (_no_vocabulary, "the vocabulary (vocab.txt or tokenizer.json) is missing", True),
    "torn metrics": (_torn_metrics, "metrics.jsonl ends in a torn line", False),
}


def test_a_whole_checkpoint_has_no_problems(env: Path, run_tokenizer: Tokenizer) -> None:
    from bert_core.model_files import model_dir_problems

    save_run(env / "runs", "good", run_tokenizer)
    assert model_dir_problems(RunDirectory(env / "runs" / "good").latest_checkpoint()) == []
    assert not run_access.metrics_torn(env / "runs" / "good" / "metrics.jsonl")


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_run_is_marked_everywhere_and_the_others_keep_working(
    env: Path,
    run_tokenizer: Tokenizer,
    kind: str,
) -> None:
    damage, reason, unloadable = DAMAGE[kind]
    root = env / "runs"
    save_run(root, "good-run", run_tokenizer)
    save_run(root, "bad-run", run_tokenizer)
    RunDirectory(root / "bad-run").append_metrics({"step": 1, "mlm_loss": 5.0})
    damage(RunDirectory(root / "bad-run").latest_checkpoint())

    at = page(session(), "runs")
    table = at.dataframe[0].value
    assert dict(zip(table["name"], table["status"])) == {"good-run": "finished", "bad-run": "damaged"}
    assert at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).format_func("run:bad-run") == "Run: bad-run (damaged)"
    ok(at.selectbox(key=state.RUNS_SELECTED).set_value("bad-run").run())
    assert f"This run is damaged: checkpoint-1: {reason}" in text(at) or reason in text(at), text(at)
    assert str(env) not in text(at)

    for name in ("fill_mask", "attention", "embeddings"):
        at.session_state[state.ACTIVE_MODEL] = "run:bad-run"
        at = page(at, name)  # never the generic error box (page() asserts no exception)
        errors = " ".join(e.value for e in at.error)
        assert ("does not load" in errors) == unloadable and str(env) not in errors, (name, errors)
        at.session_state[state.ACTIVE_MODEL] = "run:good-run"
        at = page(at, name)
        assert not at.error, (name, [e.value for e in at.error])


# ---------------------------------------------------------------- a full disk
def fill_disk_after(monkeypatch: pytest.MonkeyPatch, good_saves: int) -> None:
    """Every model.safetensors written after `good_saves` writes half its bytes, then meets ENOSPC."""
    import errno

    from bert_core.model import base

    real, calls = base.save_file, [0]

    def save_file(tensors, filename, metadata=None):
        calls[0] += 1
        if calls[0] <= good_saves:
            return real(tensors, filename, metadata=metadata)
        real(tensors, filename, metadata=metadata)
        Path(filename).write_bytes(Path(filename).read_bytes()[: Path(filename).stat().st_size // 2])
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    monkeypatch.setattr(base, "save_file", save_file)


def assert_only_the_whole_checkpoint(out: Path, step: int) -> None:
    from bert_core import BertForPreTraining
    from bert_core.model_files import model_dir_problems

    run = RunDirectory(out)
    assert [c.name for c in run.checkpoints()] == [f"checkpoint-{step}"]  # the half-written one is never listed
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # nor left behind, taking space
    assert model_dir_problems(run.latest_checkpoint()) == []
    BertForPreTraining.from_pretrained(run.latest_checkpoint())  # and the earlier one loads


def test_a_full_disk_stops_the_cli_with_a_message_and_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from bert_core.cli import main

    fill_disk_after(monkeypatch, good_saves=1)
    out = tmp_path / "run"
    code = main(
        [
            "pretrain",
            "--preset",
            "tiny",
            "--seq-len",
            "32",
            "--batch-size",
            "4",
            "--steps",
            "4",
            "--save-every",
            "2",
            "--out",
            str(out),
            "--quiet",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "the disk is full" in err and "--resume" in err and "Traceback" not in err
    assert_only_the_whole_checkpoint(out, 2)


def test_a_full_disk_stops_an_app_run_with_a_message_and_the_app_serves_on(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_disk_after(monkeypatch, good_saves=1)
    at = page(session(), "pretrain")
    job = start_pretraining(at, "full-disk", steps=4, batch=4, save_every=2)
    assert job.join(180)
    view = job.view()
    assert view.status == "failed" and "disk is full" in view.message and "step 2) is intact" in view.message
    assert "disk is full" in text(ok(at.run()))
    assert_only_the_whole_checkpoint(env / "runs" / "full-disk", 2)
    runs_page = page(at, "runs")  # the app keeps serving, and lists the run
    assert "full-disk" in set(runs_page.dataframe[0].value["name"])
