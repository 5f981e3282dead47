"""Classroom mode and security (issue 7): limits from classroom.toml, the job queue as users see it, the
teacher role, who sees which run, runs surviving a server restart, and no pickle anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from apptest_helpers import PASSWORD, guess_figures, ok, owner_of, page, save_run, session, text
from streamlit.testing.v1 import AppTest

from bert_core.checkpoint import RunDirectory
from bert_core.tokenizer import Tokenizer
from explorer import settings, state
from explorer.classroom import teacher as classroom
from explorer.jobs.registry import job_registry

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- settings
def test_classroom_file(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.classroom() == settings.Classroom()  # no file: the defaults
    shipped = tomllib.loads((ROOT / "classroom.toml").read_text())["classroom"]
    assert settings.Classroom(**shipped) == settings.Classroom()  # the shipped file documents the defaults
    path = env / "classroom.toml"
    path.write_text("[classroom]\nmax_jobs = 3\nmax_steps = 500\nmax_upload_mb = 9999\n")
    limits = settings.classroom()
    assert (limits.max_jobs, limits.max_steps, limits.max_upload_mb) == (3, 500, settings.MAX_UPLOAD_MB)
    assert settings.max_jobs() == 3
    monkeypatch.setenv("BERT_EXPLORER_MAX_JOBS", "2")
    assert settings.max_jobs() == 2  # the environment wins
    path.write_text("[classroom]\nmax_step = 5\n")
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['max_step'\]"):
        settings.classroom()
    path.write_text("[classroom]\nmax_layers = 0\n")
    with pytest.raises(ValueError, match="max_layers must be positive"):
        settings.classroom()


def test_limits_refuse_big_runs_with_a_message(env: Path) -> None:
    (env / "classroom.toml").write_text("[classroom]\nmax_steps = 100\nmax_layers = 2\nmax_hidden = 128\n")
    with pytest.raises(ValueError, match="hidden size 256 is over this server's limit of 128"):
        classroom.check_run_limits(steps=50, layers=2, hidden=256, batch_size=8, seq_length=64)
    at = page(session(), "pretrain")
    at.number_input(key=state.PRETRAIN_STEPS).set_value(300).run()
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert "steps 300 is over this server's limit of 100" in text(at)
    at.radio(key=state.PRETRAIN_PRESET).set_value("mini").run()
    at.number_input(key=state.PRETRAIN_STEPS).set_value(50).run()
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert "layers 4 is over this server's limit of 2" in text(at)
    assert job_registry().get(owner_of(at)) is None


# ---------------------------------------------------------------- the queue, as two users see it
def test_second_user_waits_in_the_queue_and_starts_when_the_first_stops(env: Path) -> None:
    (env / "classroom.toml").write_text("[classroom]\nmax_jobs = 1\n")
    users = []
    for name in ("first", "second"):
        at = page(session(), "pretrain")
        at.selectbox(key=state.PRETRAIN_SEQ_LEN).set_value(32)
        at.number_input(key=state.PRETRAIN_BATCH).set_value(4)
        at.number_input(key=state.PRETRAIN_STEPS).set_value(5000 if name == "first" else 2)
        at.text_input(key=state.PRETRAIN_RUN_NAME).input(f"{name}-run")
        ok(at.button(key=state.PRETRAIN_START).click().run())
        users.append(at)
    first, second = (job_registry().get(owner_of(at)) for at in users)
    assert second.view().status == "queued"
    assert "number 1** in the queue" in text(ok(users[1].run()))
    assert not users[1].button(key=state.PRETRAIN_STOP).disabled  # leaving the queue is allowed
    first.stop()
    assert first.join(120) and second.join(120)
    assert second.view().status == "finished", second.view().message
    assert "in the queue" not in text(ok(users[1].run()))


# ---------------------------------------------------------------- teacher, visibility, publishing
def test_each_session_sees_its_own_runs_public_ones_and_published_ones(env: Path, run_tokenizer: Tokenizer) -> None:
    alice, bob = session(), session()
    a_token, b_token = alice.session_state[state.SESSION_ID], bob.session_state[state.SESSION_ID]
    assert re.fullmatch(r"[0-9a-f]{32}", a_token) and a_token != b_token  # 128 random bits each
    a_id, b_id = owner_of(alice), owner_of(bob)
    root = env / "runs"
    save_run(root, "alice-run", run_tokenizer, owner=a_id)
    save_run(root, "bob-run", run_tokenizer, owner=b_id)
    save_run(root, "cli-run", run_tokenizer)  # no owner: a CLI run, public

    def listed(at: AppTest) -> tuple[set, set]:
        page(at, "runs")
        table = set(at.dataframe[0].value["name"])
        models = {o for o in at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).options if o.startswith("Run:")}
        return table, models

    assert listed(alice) == ({"alice-run", "cli-run"}, {"Run: alice-run", "Run: cli-run"})
    assert listed(bob)[0] == {"bob-run", "cli-run"}
    bob.session_state[state.ACTIVE_MODEL] = "run:alice-run"  # not offered; and refused if forced
    assert ok(bob.run()).sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).value == "minilm"
    from explorer import active_model

    with pytest.raises(FileNotFoundError):
        active_model._source_dir("run:alice-run")

    # bob may not rename or delete the public CLI run on a server with a teacher
    bob.selectbox(key=state.RUNS_SELECTED).set_value("cli-run").run()
    assert "Only its owner or the teacher" in text(ok(bob))

    # the teacher: wrong password, then the right one; publishes alice's run
    teacher = session()
    next(t for t in teacher.sidebar.text_input if t.key == state.TEACHER_PASSWORD).input("guess").run()
    assert "Wrong teacher password" in text(ok(teacher)) and state.TEACHER not in teacher.session_state
    next(t for t in teacher.sidebar.text_input if t.key == state.TEACHER_PASSWORD).input(PASSWORD).run()
    assert ok(teacher).session_state[state.TEACHER]
    page(teacher, "runs")
    assert set(teacher.dataframe[0].value["name"]) == {"alice-run", "bob-run", "cli-run"}
    teacher.selectbox(key=state.RUNS_SELECTED).set_value("alice-run").run()
    ok(teacher.toggle(key="runs_publish_alice-run").set_value(True).run())
    assert RunDirectory(root / "alice-run").read_info()["published"] is True
    assert "alice-run" in listed(bob)[0]


def test_teacher_stops_any_job(env: Path) -> None:
    student = page(session(), "pretrain")
    student.selectbox(key=state.PRETRAIN_SEQ_LEN).set_value(32)
    student.number_input(key=state.PRETRAIN_STEPS).set_value(5000)
    student.text_input(key=state.PRETRAIN_RUN_NAME).input("student-run")
    ok(student.button(key=state.PRETRAIN_START).click().run())
    job = job_registry().get(owner_of(student))
    teacher = session()
    teacher.session_state[state.TEACHER] = True
    page(teacher, "runs")
    assert "student-run" in text(teacher)
    stop = next(b for b in teacher.button if b.key.startswith("teacher_stop_"))
    ok(stop.click().run())
    assert job.join(120) and job.view().status == "stopped"


def test_session_id_stays_out_of_the_url_when_configured(env: Path) -> None:
    at = session()
    assert (
        at.query_params["sid"] == [at.session_state[state.SESSION_ID]]
        or at.query_params["sid"] == at.session_state[state.SESSION_ID]
    )
    (env / "classroom.toml").write_text("[classroom]\nsession_in_url = false\n")
    at = session(sid="0" * 32)
    assert "sid" not in at.query_params and at.session_state[state.SESSION_ID] != "0" * 32


# ---------------------------------------------------------------- nothing lost
def test_after_a_server_restart_every_saved_run_is_listed_and_loads(env: Path, run_tokenizer: Tokenizer) -> None:
    root = env / "runs"
    for name in ("old-1", "old-2", "old-3"):
        save_run(root, name, run_tokenizer)
    job_registry.clear()  # a new server process: no jobs, no caches
    at = page(session(), "runs")
    assert set(at.dataframe[0].value["name"]) == {"old-1", "old-2", "old-3"}
    for name in ("old-1", "old-2", "old-3"):
        at.session_state[state.ACTIVE_MODEL] = f"run:{name}"
        at.session_state[state.FILL_TEXT] = "the [MASK] said ."
        at = page(at, "fill_mask")
        assert len(guess_figures(at)) == 1, name  # the model loaded and guessed


# ---------------------------------------------------------------- security
def test_no_pickle_on_any_file() -> None:
    """torch.load / pickle / numpy pickles are never used on files (safetensors and JSON only)."""
    pattern = re.compile(r"torch\.load\(|pickle\.loads?\(|import pickle|allow_pickle\s*=\s*True|joblib\.load")
    offenders = []
    for folder in ("bert_core", "explorer", "pages", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and "weights_only=True" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_server_config_is_local_and_keeps_xsrf() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


def test_uploads_are_per_session_with_generated_names(env: Path) -> None:
    folders = []
    for _ in range(2):
        at = page(session(), "pretrain")
        at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).set_value("upload").run()
        at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("../../etc/passwd.txt", b"One. Two.", "text/plain").run()
        saved = Path(ok(at).session_state[state.CORPUS_UPLOADED].path)
        assert saved.parent == env / "uploads" / owner_of(at)
        assert re.fullmatch(r"[0-9a-f]{16}\.txt", saved.name)
        folders.append(saved.parent)
    assert folders[0] != folders[1]


def test_teacher_password_check() -> None:
    assert not classroom.check_teacher_password("x")  # no password set: no teacher role
