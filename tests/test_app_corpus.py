"""AppTest: an uploaded corpus is the session's corpus on every page (Pretrain, Tokenizer, Embeddings),
after page switches and after a reload of the same session, until another upload replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import APP, RUN, go, ok, running_app
from streamlit.testing.v1 import AppTest

from explorer import corpora, state

ZEBRAS = "\n\n".join(f"Document {i} is about zebras. Zebras graze on the savanna at dawn." for i in range(6))


@pytest.fixture
def app(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(monkeypatch, runs_root, tmp_path / "uploads") as at:
        yield at


def upload_on_pretrain(at: AppTest, name: str = "zebras.txt", text: str = ZEBRAS) -> AppTest:
    at = go(at, "pretrain")
    at.session_state[state.PRETRAIN_CORPUS_CHOICE] = corpora.UPLOAD_CHOICE
    at.run()
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload(name, text.encode(), "text/plain").run()
    return ok(at)


def assert_pretrain_uses_upload(at: AppTest, name: str = "zebras.txt") -> None:
    # (the picker's labels depend on the session: read the value from the session state, not the widget)
    assert at.session_state[state.PRETRAIN_CORPUS_CHOICE] == corpora.UPLOAD_CHOICE
    assert f"Your upload: {name}" in at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).options
    assert any("**6** documents · **12** sentences" in c.value for c in at.caption)
    assert "upload" in at.text_input(key=state.PRETRAIN_RUN_NAME).value  # the default name says so, not "lee"


def test_upload_stays_the_corpus_on_every_page(app: AppTest) -> None:
    at = upload_on_pretrain(app)
    assert_pretrain_uses_upload(at)

    at = go(at, "tokenizer")
    assert at.session_state[state.TOK_CORPUS] == corpora.UPLOAD_CHOICE
    assert "Your upload: zebras.txt" in at.selectbox(key=state.TOK_CORPUS).options
    at.slider(key=state.TOK_VOCAB_SIZE).set_value(200).run()
    ok(at.button(key=state.TOK_TRAIN).click().run())
    trained = at.session_state[state.TOK_TRAINED]
    assert trained.corpus == "zebras.txt" and "zebras" in trained.tokenizer.get_vocab()  # trained on the upload
    assert any("sentences of zebras" in c.value for c in at.caption)

    at.session_state[state.ACTIVE_MODEL] = RUN  # the tiny run: quick to embed
    at.session_state[state.EMB_METHOD] = "pca"
    at.session_state[state.EMB_SOURCE] = "corpus"
    at = go(at, "embeddings")
    assert any("Sentences of zebras" in c.value for c in at.caption)
    hover = at.selectbox(key=state.EMB_POINT)
    assert len(hover.options) == 12 and all("zebras" in o.lower() for o in hover.options)

    at = go(at, "pretrain")
    assert_pretrain_uses_upload(at)


def test_upload_on_the_tokenizer_page_is_the_corpus_of_pretrain(app: AppTest) -> None:
    at = go(app, "tokenizer")
    at.session_state[state.TOK_CORPUS] = corpora.UPLOAD_CHOICE
    at.run()
    assert ok(at).button(key=state.TOK_TRAIN).disabled  # nothing uploaded yet
    at.file_uploader(key=state.TOK_UPLOAD).upload("zebras.txt", ZEBRAS.encode(), "text/plain").run()
    assert not ok(at).button(key=state.TOK_TRAIN).disabled
    assert_pretrain_uses_upload(go(at, "pretrain"))


def test_a_reload_of_the_session_keeps_its_upload(app: AppTest, tmp_path: Path) -> None:
    at = upload_on_pretrain(app)
    sid = at.session_state[state.SESSION_ID]
    reloaded = AppTest.from_file(APP, default_timeout=60)  # a new session state, the same ?sid=
    reloaded.query_params["sid"] = sid
    reloaded.run()
    at = go(reloaded, "pretrain")
    assert at.session_state[state.SESSION_ID] == sid
    assert_pretrain_uses_upload(at)
    assert go(at, "tokenizer").session_state[state.TOK_CORPUS] == corpora.UPLOAD_CHOICE


def test_a_new_upload_replaces_the_old_one(app: AppTest) -> None:
    at = upload_on_pretrain(app)
    text = "\n\n".join(f"Story {i} tells of owls. Owls hunt at night in the forest." for i in range(6))
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("owls.txt", text.encode(), "text/plain").run()
    assert_pretrain_uses_upload(ok(at), "owls.txt")
    at = go(at, "tokenizer")
    assert "Your upload: owls.txt" in at.selectbox(key=state.TOK_CORPUS).options
