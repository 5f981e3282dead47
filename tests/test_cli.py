"""The command line: a real pretraining run, export, and one-line errors (never a traceback) on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from bert_core import BertForPreTraining, Tokenizer
from bert_core.cli import main

CORPUS = "\n\n".join(
    f"Story {d} starts with a plain sentence. The second sentence of story {d} talks about markets and rain. "
    f"Finally, story {d} ends here."
    for d in range(40)
)


def pretrain_args(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        "pretrain",
        "--corpus",
        str(corpus),
        "--preset",
        "tiny",
        "--steps",
        "6",
        "--batch-size",
        "8",
        "--seq-len",
        "32",
        "--quiet",
        "--cache-dir",
        "",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def test_pretrain_writes_a_loadable_run_and_resumes(corpus: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(pretrain_args(corpus, out, "--save-every", "3", "--eval-every", "3")) == 0
    assert "finished at step 6" in capsys.readouterr().out
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["steps"] == 6 and len(info["data_hash"]) == 64
    assert set(info["final_eval"]) >= {"mlm_acc", "nsp_acc", "mlm_perplexity"}
    model = BertForPreTraining.from_pretrained(out)
    tokenizer = Tokenizer.from_pretrained(out / "checkpoint-6")
    ids = torch.tensor([tokenizer.encode("story one starts").input_ids])
    assert model(ids).prediction_logits.shape == (1, ids.shape[1], tokenizer.vocab_size)
    # Running again into the same directory without --resume is refused; --resume with more steps continues.
    assert main(pretrain_args(corpus, out)) == 2
    assert "--resume" in capsys.readouterr().err
    args = pretrain_args(corpus, out, "--resume")
    args[args.index("--steps") + 1] = "8"
    assert main(args) == 0
    assert [p.name for p in sorted(out.glob("checkpoint-*"))][-1] == "checkpoint-8"


def test_trained_vocabulary_and_custom_size(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        main(
            pretrain_args(
                corpus,
                out,
                "--vocab",
                "train",
                "--vocab-size",
                "300",
                "--layers",
                "1",
                "--hidden",
                "64",
                "--heads",
                "2",
            )
        )
        == 0
    )
    model = BertForPreTraining.from_pretrained(out)
    assert model.config.vocab_size <= 300 and model.config.num_hidden_layers == 1
    assert model.config.hidden_size == 64


def test_export_to_zip_loads_in_transformers(corpus: Path, tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    out = tmp_path / "run"
    assert main(pretrain_args(corpus, out)) == 0
    assert main(["export", str(out), "--out", str(tmp_path / "model.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "model.zip") as archive:
        names = set(archive.namelist())
        assert {"config.json", "model.safetensors", "vocab.txt"} <= names
        assert not any("optimizer" in n or "trainer_state" in n for n in names)
        archive.extractall(tmp_path / "exported")
    theirs = transformers.BertForPreTraining.from_pretrained(str(tmp_path / "exported"))
    assert theirs.config.num_hidden_layers == 2


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda d: d / "missing.txt", "not found"),
        (lambda d: _write(d / "empty.txt", b""), "empty"),
        (lambda d: _write(d / "binary.txt", bytes(range(256)) * 50), "binary"),
        (lambda d: _write(d / "table.csv", b"title,score\nhello,1\n"), "column"),
        (lambda d: _write(d / "weird.docx", b"PK\x03\x04"), "supported"),
    ],
)
def test_bad_corpora_give_one_line_errors(tmp_path: Path, capsys, make, message: str) -> None:
    assert main(pretrain_args(make(tmp_path), tmp_path / "run")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err.lower() and "\n" not in err


def test_latin1_corpus_is_decoded_not_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path / "latin1.txt", CORPUS.replace("plain", "naïve café").encode("latin-1"))
    assert main(pretrain_args(path, tmp_path / "run")) == 0


def test_invalid_model_size_is_a_clear_error(corpus: Path, tmp_path: Path, capsys) -> None:
    assert main(pretrain_args(corpus, tmp_path / "run", "--hidden", "100", "--heads", "3")) == 2
    assert "divisible" in capsys.readouterr().err


def test_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bert_core", *pretrain_args(tmp_path / "nope.txt", tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def test_help_for_each_command() -> None:
    for command in ("pretrain", "export"):
        result = subprocess.run(
            [sys.executable, "-m", "bert_core", command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and "--out" in result.stdout
