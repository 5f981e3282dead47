"""explorer.runs: listing, renaming, deleting, exporting and validated importing of runs."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import pytest
import torch
from runs_gallery import make_run

from bert_core import BertForPreTraining
from bert_core.checkpoint import RunDirectory
from explorer.runs import store as runs
from explorer.runs import zips


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "..", ".hidden", "a..b", "x" * 65, "with space", "/abs"])
def test_bad_run_names_are_rejected(bad: str) -> None:
    with pytest.raises(runs.RunError):
        runs.validate_run_name(bad)


def test_list_rename_delete(tmp_path: Path) -> None:
    make_run(tmp_path, "alpha")
    (tmp_path / "empty").mkdir()  # no checkpoint: not a run
    [summary] = runs.list_runs(tmp_path)
    assert (summary.name, summary.steps, summary.corpus, summary.model) == ("alpha", 3, "builtin:lee", "1×32, 2 heads")
    assert summary.final["mlm_loss"] == 2.0 and summary.date.startswith("20")
    runs.rename_run(tmp_path, "alpha", "beta")
    assert [r.name for r in runs.list_runs(tmp_path)] == ["beta"]
    with pytest.raises(runs.RunError):
        runs.rename_run(tmp_path, "beta", "../escape")
    runs.delete_run(tmp_path, "beta")
    assert runs.list_runs(tmp_path) == [] and not (tmp_path / "beta").exists()
    with pytest.raises(runs.RunError):
        runs.delete_run(tmp_path, "beta")


def test_export_import_round_trip(tmp_path: Path) -> None:
    source = make_run(tmp_path / "a", "alpha")
    data = zips.export_zip(source)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "model.safetensors" in names and "config.json" in names and "optimizer.safetensors" not in names
    summary = zips.import_zip(tmp_path / "b", "copy", data)
    assert summary.status == "imported" and "1 layers" in summary.model
    original = BertForPreTraining.from_pretrained(source).state_dict()
    imported = BertForPreTraining.from_pretrained(tmp_path / "b" / "copy").state_dict()
    assert all(torch.equal(original[k], imported[k]) for k in original)
    with pytest.raises(runs.RunError, match="exists"):
        zips.import_zip(tmp_path / "b", "copy", data)


def test_import_accepts_one_top_folder(tmp_path: Path) -> None:
    files = zipfile.ZipFile(io.BytesIO(zips.export_zip(make_run(tmp_path / "a", "alpha"))))
    nested = zip_bytes({f"model/{n}": files.read(n) for n in files.namelist()})
    assert zips.import_zip(tmp_path / "b", "nested", nested).name == "nested"


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"../evil.txt": b"x"}, "unsafe"),
        ({"/etc/passwd": b"x"}, "unsafe"),
        ({"pytorch_model.bin": b"x", "config.json": b"{}"}, "pickled"),
        ({"model.safetensors": b"x", "vocab.txt": b"x"}, "config.json"),
        ({"config.json": b"{}", "model.safetensors": b"x"}, "vocabulary"),
        ({"config.json": b"{}", "model.safetensors": b"not safetensors", "vocab.txt": b"[PAD]\n"}, "does not load"),
    ],
)
def test_import_rejects_bad_zips(tmp_path: Path, entries: dict, message: str) -> None:
    with pytest.raises(runs.RunError, match=message):
        zips.import_zip(tmp_path, "bad", zip_bytes(entries))
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob(".import-*"))


def test_import_rejects_bombs_and_non_zips(tmp_path: Path) -> None:
    bomb = zip_bytes({"config.json": json.dumps({}).encode(), "model.safetensors": b"\0" * (8 << 20)})
    with pytest.raises(runs.RunError, match="bomb"):
        zips.import_zip(tmp_path, "bomb", bomb)
    with pytest.raises(runs.RunError, match="expands"):
        zips.import_zip(
            tmp_path,
            "big",
            zip_bytes({"config.json": b"{}", "model.safetensors": b"1" * 4096, "vocab.txt": b"x"}),
            max_bytes=1024,
        )
    with pytest.raises(runs.RunError, match="not a valid zip"):
        zips.import_zip(tmp_path, "junk", b"definitely not a zip")


def test_active_model_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from explorer import active_model

    monkeypatch.setenv("BERT_EXPLORER_RUNS", str(tmp_path))
    make_run(tmp_path, "alpha")
    minilm = active_model.load_model(active_model.MINILM)
    assert minilm is not None and not minilm.has_trained_mlm_head  # an encoder: its MLM head would be noise
    run = active_model.load_model("run:alpha")
    assert run is not None and run.has_trained_mlm_head and run.tokenizer.vocab_size == 10
    assert active_model.load_model("run:missing") is None


def test_mlm_chance_from_run_json_or_the_model_config(tmp_path: Path) -> None:
    make_run(tmp_path, "old")  # no vocab_size in run.json: read from the checkpoint's config (10 pieces)
    make_run(tmp_path, "new")
    RunDirectory(tmp_path / "new").update_info(vocab_size=641)
    listed = {r.name: r for r in runs.list_runs(tmp_path)}
    found = {name: runs.mlm_chance(r) for name, r in listed.items()}
    assert found == {"old": pytest.approx(math.log(10)), "new": pytest.approx(math.log(641))}
    for config in (tmp_path / "old").glob("checkpoint-*/config.json"):
        config.unlink()
    assert runs.mlm_chance(listed["old"]) is None  # unknown: the page draws no chance line for it
    RunDirectory(tmp_path / "new").update_info(kind="finetuning")
    assert runs.mlm_chance(runs.summarize(tmp_path / "new")) is None  # a task loss has no ln V chance
