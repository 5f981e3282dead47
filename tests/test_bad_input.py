"""Bad input, tried (issue 7): each case shows the user a clear message and the app keeps running.

The parsing itself is tested where it lives (tests/test_corpus.py, test_app_runs.py, test_finetune_data.py,
test_training.py, test_jobs.py); here the same inputs go through the pages, in AppTest, and after each
one the page must still work.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest
from apptest_helpers import figures, guess_figures, ok, open_page, owner_of, running_app
from streamlit.testing.v1 import AppTest

from explorer import settings, state
from explorer.jobs.registry import job_registry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(
        monkeypatch, runs_root, tmp_path / "uploads", BERT_EXPLORER_CLASSROOM=str(tmp_path / "classroom.toml")
    ) as at:  # absent: defaults
        yield at


def messages(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = "\n\n".join(f"Document {i} starts here. It has a second sentence about cats." for i in range(5)).encode()
BAD_UPLOADS = [  # (file name, bytes, what the user is told)
    ("empty.txt", b"", "is empty"),
    ("binary.txt", b"\x00\x01\x02\x03" * 200, "binary"),
    ("nocolumn.csv", b"id,title\n1,Hello\n2,World\n", "no text column among ['id', 'title']"),
    ("slip.zip", zip_bytes({"ok.txt": b"Fine.", "../evil.txt": b"Evil."}), "unsafe entry path"),
    ("abs.zip", zip_bytes({"/etc/evil.txt": b"Evil."}), "unsafe entry path"),
    ("bomb.zip", zip_bytes({"zeros.txt": b"0" * 3_000_000}), "zip bomb"),
]  # other types never reach the page: Streamlit's uploader refuses them (type=…)


def test_bad_corpus_uploads_show_a_message_and_the_page_recovers(app: AppTest, tmp_path: Path) -> None:
    at = open_page(app, "pretrain", PRETRAIN_CORPUS_CHOICE="upload")
    uploader = at.file_uploader(key=state.PRETRAIN_UPLOAD)
    for name, data, message in BAD_UPLOADS:
        uploader.upload(name, data, "application/octet-stream").run()
        assert message in messages(ok(at)), (name, messages(at))
        at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("good.txt", GOOD, "text/plain").run()
        assert any("**5** documents" in c.value for c in ok(at).caption), name  # the next upload works
        uploader = at.file_uploader(key=state.PRETRAIN_UPLOAD)


@pytest.mark.parametrize(
    "name, data",
    [
        ("latin1.txt", "Café naïve. Über straße.\n\nDéjà vu.".encode("latin-1")),
        ("utf16.txt", "Café naïve. Über straße.\n\nDéjà vu.".encode("utf-16")),
        ("utf16le.txt", codecs.BOM_UTF16_LE + "Café naïve. Über straße.\n\nDéjà vu.".encode("utf-16-le")),
    ],
)
def test_latin1_and_utf16_uploads_are_read(app: AppTest, name: str, data: bytes) -> None:
    at = open_page(app, "pretrain", PRETRAIN_CORPUS_CHOICE="upload")
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload(name, data, "text/plain").run()
    assert any("**2** documents · **3** sentences" in c.value for c in ok(at).caption), messages(at)
    assert not at.error


def test_a_single_million_character_line(app: AppTest) -> None:
    line = ("lorem ipsum dolor sit amet " * 40_000)[:1_000_000].encode()
    at = open_page(app, "pretrain", PRETRAIN_CORPUS_CHOICE="upload")
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("one_line.txt", line, "text/plain").run()
    assert any("**1** documents · **1** sentences" in c.value for c in ok(at).caption), messages(at)
    at = open_page(at, "fill_mask", FILL_TEXT=line[:20_000].decode() + " [MASK] .")
    assert "longer than the model's" in messages(ok(at)) and "No [MASK] reached" in messages(at)


def test_upload_over_the_size_limit(app: AppTest, tmp_path: Path) -> None:
    (tmp_path / "classroom.toml").write_text("[classroom]\nmax_upload_mb = 1\n")
    at = open_page(app, "pretrain", PRETRAIN_CORPUS_CHOICE="upload")
    big = b"A sentence about markets. " * 50_000  # 1.3 MB
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("big.txt", big, "text/plain").run()
    assert "over this server's upload limit of 1 MB" in messages(ok(at))
    at = open_page(at, "embeddings", EMB_SOURCE="upload")
    at.file_uploader(key=state.EMB_UPLOAD).upload("big.txt", big, "text/plain").run()
    assert "upload limit of 1 MB" in messages(ok(at))


def test_server_upload_limit_matches_the_settings() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == settings.MAX_UPLOAD_MB  # Streamlit refuses bigger files itself
    assert settings.classroom().max_upload_mb <= settings.MAX_UPLOAD_MB


@pytest.mark.parametrize("bad", ["../evil", "a/b", "/abs", ".hidden", ""])
def test_run_names_with_slashes_are_refused_on_the_page(app: AppTest, bad: str) -> None:
    at = open_page(app, "pretrain", PRETRAIN_RUN_NAME=bad)
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert "not a valid run name" in messages(at)
    assert job_registry().get(owner_of(at)) is None


def test_bad_model_zips_on_the_runs_page(app: AppTest) -> None:
    at = open_page(app, "runs")
    for data, message in [
        (zip_bytes({"../config.json": b"{}"}), "unsafe entry path"),
        (zip_bytes({"pytorch_model.bin": b"x", "config.json": b"{}"}), "pickled"),
        (b"not a zip at all", "not a valid zip"),
    ]:
        at.file_uploader(key=state.RUNS_UPLOAD).upload("model.zip", data, "application/zip").run()
        ok(at.button(key="runs_add").click().run())
        assert message in messages(at)
    assert len(at.dataframe[0].value) == 1  # only the tiny run


def test_fill_mask_empty_and_without_mask(app: AppTest) -> None:
    at = open_page(app, "fill_mask", FILL_TEXT="")
    assert "type `[MASK]`" in messages(ok(at)) and not figures(at)
    at = open_page(at, "fill_mask", FILL_TEXT="no blank in this sentence")
    assert "type `[MASK]`" in messages(ok(at)) and not figures(at)
    at = open_page(at, "fill_mask", FILL_TEXT="the [MASK] said .")
    assert len(guess_figures(ok(at))) == 1  # and the page still answers


def test_input_longer_than_the_model_is_cut_with_a_notice(app: AppTest) -> None:
    long = "the police said the market was closed . " * 80  # ~720 tokens > 512 positions
    at = open_page(app, "fill_mask", FILL_TEXT="the [MASK] said . " + long)
    assert "longer than the model's 512 positions" in messages(ok(at)) and len(guess_figures(at)) == 1
    at = open_page(at, "attention", ATTN_TEXT=long)
    assert "only its first 64 are shown" in messages(ok(at))
    at = open_page(at, "attention", ATTN_TEXT="a short sentence")
    assert not at.warning


def test_out_of_memory_in_training_shows_a_message_and_the_app_lives(app: AppTest, monkeypatch) -> None:
    import torch

    from bert_core.model import BertForPreTraining

    real = BertForPreTraining.forward

    def forward(self, *args, **kwargs):
        if self.training:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BertForPreTraining, "forward", forward)
    at = open_page(app, "pretrain", PRETRAIN_RUN_NAME="oom-run", PRETRAIN_SEQ_LEN=32, PRETRAIN_BATCH=4)
    ok(at.button(key=state.PRETRAIN_START).click().run())
    job = job_registry().get(owner_of(at))
    assert job.join(120)
    ok(at.run())
    assert "ran out of memory" in messages(at) and "smaller batch size" in messages(at)
    monkeypatch.setattr(BertForPreTraining, "forward", real)
    at = open_page(at, "fill_mask", FILL_TEXT="the [MASK] said .")
    assert len(guess_figures(ok(at))) == 1
