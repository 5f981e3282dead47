"""A hostile student's attacks (issue 15, items 5–9), each reproduced: the session token kept apart from
the public owner id, a damaged run.json failing closed, a truncated model failing with a message, user
text shown as text, and a back-off on teacher-password guesses."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from apptest_helpers import PASSWORD, ok, page, save_run, session, start_pretraining, text  # noqa: F401
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from bert_core.checkpoint import RunDirectory
from bert_core.tokenizer import Tokenizer
from explorer import state
from explorer.classroom import identity, login_guard, teacher
from explorer.runs import access as run_access
from explorer.ui.safe_text import md

CORPUS = b"The river ran past the old mill. The miller slept.\n\nA storm came at night. The roof held."


def sent_to_browser(at: AppTest) -> str:
    """Everything the last run sent to this browser: every element's message, and the URL's query."""
    out: list[str] = [json.dumps(dict(at.query_params))]

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def token_of(at: AppTest) -> str:
    return at.session_state[state.SESSION_ID]


# ---------------------------------------------------------------- 5. session takeover
def test_owner_id_is_a_stable_one_way_name_for_the_token() -> None:
    token = "0123456789abcdef" * 2
    public = identity.owner_id(token)
    assert public == identity.owner_id(token) and identity.is_owner_id(public)
    assert token not in public and public != identity.owner_id("f" * 32)
    assert not identity.is_session_token(public)  # an owner id pasted into ?sid= restores nothing
    with pytest.raises(ValueError):
        identity.owner_id(public)


def test_no_run_file_path_or_other_browser_holds_a_session_token(env: Path) -> None:
    alice = page(session(), "pretrain")
    secret = token_of(alice)
    alice.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).set_value("upload").run()
    alice.file_uploader(key=state.PRETRAIN_UPLOAD).upload("story.txt", CORPUS, "text/plain").run()
    job = start_pretraining(alice, "alice-run", steps=2)
    assert job.join(180) and job.view().status == "finished", job.view().message

    run_dir = env / "runs" / "alice-run"
    assert RunDirectory(run_dir).read_info()["owner"] == identity.owner_id(secret)
    for file in [p for p in env.rglob("*") if p.is_file()]:  # run files, upload files and their paths
        assert secret not in str(file) and secret.encode() not in file.read_bytes(), file

    teacher = session()
    teacher.session_state[state.TEACHER] = True
    page(teacher, "runs").selectbox(key=state.RUNS_SELECTED).set_value("alice-run").run()
    ok(teacher.toggle(key="runs_publish_alice-run").set_value(True).run())

    bob = page(session(), "runs")
    ok(bob.selectbox(key=state.RUNS_SELECTED).set_value("alice-run").run())
    shown = sent_to_browser(bob)
    assert "alice-run" in shown and secret not in shown
    config = json.loads(bob.json[0].value)
    assert config["owner"] == "another session" and str(env) not in json.dumps(config)

    # the attack: bob puts what he can read into ?sid= and tries to rename alice's run
    for stolen in (identity.owner_id(secret), config["owner"]):
        mallory = session(sid=stolen)
        assert token_of(mallory) != secret
        page(mallory, "runs").selectbox(key=state.RUNS_SELECTED).set_value("alice-run").run()
        assert "Only its owner or the teacher" in text(ok(mallory))
    # alice herself, back from her URL, still owns it
    again = page(session(sid=secret), "runs")
    ok(again.selectbox(key=state.RUNS_SELECTED).set_value("alice-run").run())
    assert "Only its owner" not in text(again)


def test_a_legacy_run_json_holding_a_token_is_scrubbed_on_first_read(env: Path, run_tokenizer: Tokenizer) -> None:
    secret = "a1" * 16
    upload = f"/tmp/bert_explorer_uploads/{secret}/1234.txt"
    save_run(env / "runs", "old-run", run_tokenizer, owner=secret, corpus=upload)
    at = page(session(sid=secret), "runs")  # the owner comes back with the link they kept
    assert set(at.dataframe[0].value["name"]) == {"old-run"}
    raw = (env / "runs" / "old-run" / "run.json").read_text()
    assert secret not in raw and json.loads(raw)["owner"] == identity.owner_id(secret)
    assert identity.owner_id(secret) in json.loads(raw)["corpus"]
    stranger = page(session(), "runs")
    assert not stranger.dataframe and "No saved runs yet" in text(stranger)


# ---------------------------------------------------------------- 6. damaged run.json fails closed
def test_a_damaged_run_json_shows_to_the_teacher_only(env: Path, run_tokenizer: Tokenizer) -> None:
    root = env / "runs"
    save_run(root, "private-run", run_tokenizer, owner=identity.owner_id("b2" * 16))
    save_run(root, "public-run", run_tokenizer)
    (root / "private-run" / "run.json").write_text('{"owner": "o-')  # torn mid-write, or tampered
    assert run_access.DAMAGED in run_access.run_info(root / "private-run")

    student = page(session(), "runs")
    assert set(student.dataframe[0].value["name"]) == {"public-run"}
    assert "Run: private-run" not in student.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).options
    from explorer import active_model

    with pytest.raises(FileNotFoundError):
        active_model._source_dir("run:private-run")

    teacher = session()
    teacher.session_state[state.TEACHER] = True
    page(teacher, "runs")
    table = teacher.dataframe[0].value
    assert dict(zip(table["name"], table["status"]))["private-run"] == "damaged"
    ok(teacher.selectbox(key=state.RUNS_SELECTED).set_value("private-run").run())
    assert "This run is damaged: run.json is unreadable" in text(teacher)


def test_an_owner_that_is_not_an_owner_id_is_damage_too(tmp_path: Path) -> None:
    RunDirectory(tmp_path / "r").update_info(owner=["not", "a", "string"])
    info = run_access.run_info(tmp_path / "r")
    assert info[run_access.DAMAGED] and not run_access.visible_to(info, "o-" + "0" * 24)
    assert run_access.visible_to(info, "anyone", teacher=True)


# ---------------------------------------------------------------- 7. a truncated model
@pytest.mark.parametrize("name", ["fill_mask", "attention", "embeddings"])
def test_a_truncated_model_file_gives_a_message_without_server_paths(
    env: Path,
    run_tokenizer: Tokenizer,
    name: str,
) -> None:
    root = env / "runs"
    save_run(root, "broken-run", run_tokenizer)
    weights = RunDirectory(root / "broken-run").latest_checkpoint() / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    at = session()
    at.session_state[state.ACTIVE_MODEL] = "run:broken-run"
    at = page(at, name)
    errors = " ".join(e.value for e in at.error)
    assert "does not load" in errors and str(env) not in errors and "runs/broken" in errors.replace("\\", "")


# ---------------------------------------------------------------- 8. user text is text
PAYLOADS = [
    "![x](http://127.0.0.2/beacon.png)",
    "[click](javascript:alert(1))",
    ":red[loud] :material/home:",
    "<img src=x onerror=alert(1)>",
    "$x^2$ # heading _it_",
]


@pytest.mark.parametrize("payload", [*PAYLOADS, "# h\n> q\n- l\n12. n\n---", "a | b\n--|--", "<http://x.y> &lt; ~~s~~"])
def test_escaped_user_text_renders_as_one_paragraph_of_itself(payload: str) -> None:
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md(payload)).strip()
    as_text = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert rendered == "<p>" + as_text.replace("\n", "<br />\n") + "</p>"  # no link, image, tag or list


def test_a_fill_mask_sentence_is_shown_as_text(env: Path, run_tokenizer: Tokenizer) -> None:
    save_run(env / "runs", "tiny", run_tokenizer)
    at = session()
    at.session_state[state.ACTIVE_MODEL] = "run:tiny"
    at.session_state[state.FILL_TEXT] = f"{PAYLOADS[0]} the [MASK] {PAYLOADS[1]}"
    at = page(at, "fill_mask")
    sees = next(m.value for m in at.markdown if m.value.startswith("**The model sees:**"))
    rendered = MarkdownIt("commonmark").render(sees)
    assert "<img" not in rendered and "<a " not in rendered and "<strong><code>[MASK]</code></strong>" in rendered
    assert "![x](http://127.0.0.2/beacon.png) the" in rendered


# ---------------------------------------------------------------- 9. teacher password back-off
def test_backoff_doubles_after_five_failures_and_is_forgotten_later() -> None:
    now = [1000.0]
    guard = login_guard.LoginGuard(clock=lambda: now[0])
    for _ in range(login_guard.FREE_TRIES):
        assert guard.wait_left("a") == 0
        guard.failed("a")
    assert guard.wait_left("a") == 1.0 and guard.wait_left("b") == 0  # per session
    guard.failed("a")
    assert guard.wait_left("a") == 2.0
    now[0] += 2.0
    assert guard.wait_left("a") == 0
    guard.succeeded("a")
    assert guard.wait_left("a") == 0
    for n in range(login_guard.SERVER_FREE_TRIES):  # many sessions, a few guesses each
        guard.failed(f"tab-{n // 3}")
    assert guard.wait_left("a-fresh-tab") > 0  # the server-wide count holds every session back
    now[0] += login_guard.FORGET_AFTER_S + 1
    assert guard.wait_left("a-fresh-tab") == 0


def test_guessing_the_teacher_password_is_slowed_logged_and_not_kept(
    env: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    teacher.login_guard.clear()
    caplog.set_level(logging.INFO, logger="bert_explorer.security")
    at = session()

    def guess(word: str) -> str:
        next(t for t in at.sidebar.text_input if t.key == state.TEACHER_PASSWORD).input(word).run()
        return text(ok(at))

    for n in range(login_guard.FREE_TRIES):
        assert "Wrong teacher password" in guess(f"guess-{n}")
    assert "Too many wrong passwords" in guess("guess-5")
    assert "Too many wrong passwords" in guess(PASSWORD)  # not even compared while the wait runs
    assert state.TEACHER not in at.session_state
    failures = [r.getMessage() for r in caplog.records if "wrong teacher password" in r.getMessage()]
    assert len(failures) == login_guard.FREE_TRIES
    assert all("guess" not in m and PASSWORD not in m and token_of(at) not in m for m in failures)
    assert PASSWORD not in repr(at.session_state)
    teacher.login_guard.clear()
