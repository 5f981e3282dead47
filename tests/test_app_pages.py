"""AppTest of every page, from explorer/app.py: a tiny run from the pretrain page, page switches, Stop, runs page."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import go, ok, owner_of, running_app
from streamlit.testing.v1 import AppTest
from waiting import wait_until

from bert_core.pretraining.recipes import RECIPES
from explorer import state
from explorer.jobs.registry import job_registry


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with running_app(monkeypatch, tmp_path / "runs", tmp_path / "uploads", timeout=60) as at:
        yield at


def my_view(at: AppTest):
    job = job_registry().get(owner_of(at))
    return job.view() if job else None


def test_home_and_sidebar(app: AppTest) -> None:
    ok(app)
    assert "BERT Explorer" in app.title[0].value
    model = app.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET)
    assert model.value == "minilm" and model.options[0].startswith("Pretrained MiniLM")
    assert any("Device" in c.value for c in app.sidebar.caption)


def test_tokenizer_page_tokenizes_and_trains(app: AppTest) -> None:
    at = go(app, "tokenizer")
    at.text_input(key=state.TOK_TEXT).input("Tokenization of ☃ snowmen").run()
    at.text_input(key=state.TOK_PAIR).input("second part").run()
    table = ok(at).dataframe[0].value
    assert list(table["token"][:3]) == ["[CLS]", "token", "##ization"] and "B" in set(table["segment"])
    assert table["unk"].any()  # the snowman is not in the stock vocabulary
    at.slider(key=state.TOK_VOCAB_SIZE).set_value(500).run()
    ok(at.button(key=state.TOK_TRAIN).click().run())
    trained = at.session_state[state.TOK_TRAINED]
    assert trained.tokenizer.vocab_size <= 500
    assert len(at.dataframe) == 3  # stock and trained token tables, plus the example splits
    assert "trained on lee" in at.dataframe[2].value.columns[-1]


def test_pretrain_run_survives_page_switch_stops_and_is_listed(app: AppTest) -> None:
    at = go(app, "pretrain")
    assert at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).value == RECIPES["classroom"]["corpus"]
    assert at.number_input(key=state.PRETRAIN_MINUTES).value == RECIPES["classroom"]["max_minutes"]
    ok(at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).set_value("builtin:lee").run())
    assert any("documents" in c.value for c in at.caption)  # corpus statistics
    at.number_input(key=state.PRETRAIN_MINUTES).set_value(0.0)
    at.radio(key=state.PRETRAIN_VOCAB).set_value("train").run()
    at.slider(key=state.PRETRAIN_VOCAB_SIZE).set_value(500)
    at.selectbox(key=state.PRETRAIN_SEQ_LEN).set_value(32)
    at.number_input(key=state.PRETRAIN_BATCH).set_value(8)
    at.number_input(key=state.PRETRAIN_STEPS).set_value(20_000)
    at.number_input(key=state.PRETRAIN_PROBE_EVERY).set_value(2)
    at.number_input(key=state.PRETRAIN_SAVE_EVERY).set_value(0)
    at.text_input(key=state.PRETRAIN_RUN_NAME).input("apptest-run")
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert at.session_state[state.ACTIVE_MODEL] == "live"

    wait_until(lambda: (v := my_view(at)) is not None and v.step >= 5)
    ok(at.run())
    charts = at.get("plotly_chart")
    assert len(charts) == 4 and '"x":[1,2,3,4,5' in charts[0].proto.spec.replace(" ", "")  # MLM, NSP, lr, speed
    assert at.button(key=state.PRETRAIN_START).disabled and not at.button(key=state.PRETRAIN_STOP).disabled

    step_before = my_view(at).step
    go(at, "runs")
    go(at, "tokenizer")
    at = go(at, "pretrain")
    wait_until(lambda: my_view(at).step > step_before)
    view = my_view(at)
    assert view.active and view.probes and view.example is not None
    assert at.selectbox(key=state.PRETRAIN_SEQ_LEN).value == 32  # settings kept across pages
    assert "Training now (live): apptest-run" in at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).options

    ok(at.button(key=state.PRETRAIN_STOP).click().run())
    job = job_registry().get(owner_of(at))
    assert job.join(60)
    assert job.view().status == "stopped"
    ok(at.run())
    assert not at.button(key=state.PRETRAIN_START).disabled
    assert at.button(key=state.PRETRAIN_RESUME).label == "Resume"
    stopped_at = job.view().step
    ok(at.button(key=state.PRETRAIN_RESUME).click().run())
    resumed = job_registry().get(owner_of(at))
    assert resumed is not job
    wait_until(lambda: resumed.view().step > stopped_at + 2)
    assert resumed.view().metrics[0]["step"] == 1  # the curve continues the saved one
    resumed.stop()
    assert resumed.join(60) and resumed.view().status == "stopped"
    job = resumed

    at = go(at, "runs")
    table = at.dataframe[0].value
    assert list(table["name"]) == ["apptest-run"] and table["status"][0] == "stopped"
    assert table["steps"][0] == job.view().step
    sidebar = at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET)
    stopped = f"Stopped at step {job.view().step:,}: apptest-run"
    assert [o for o in sidebar.options if "apptest-run" in o] == [stopped]  # listed once, saying how it ended
    assert sidebar.value == "run:apptest-run"  # the live model became its saved run: still the active model
    assert not any("Training now" in o for o in sidebar.options)  # the sidebar no longer says it trains


def test_runs_page_set_active_rename_delete(app: AppTest, tmp_path: Path) -> None:
    from runs_gallery import make_run

    make_run(tmp_path / "runs", "saved-one")
    at = go(app, "runs")
    assert at.dataframe[0].value["name"][0] == "saved-one"
    ok(at.toggle(key=state.RUNS_RELATIVE).set_value(True).run())  # loss ÷ ln V: the run's own chance line at 1
    assert any("chance loss ln V" in c.value for c in at.caption)
    ok(at.button(key="runs_set_active").click().run())
    assert at.session_state[state.ACTIVE_MODEL] == "run:saved-one"
    assert at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).value == "run:saved-one"
    at.text_input(key=state.RUNS_NEW_NAME).input("../bad").run()
    ok(at.button(key="runs_rename").click().run())
    assert "not a valid run name" in at.error[0].value
    at.text_input(key=state.RUNS_NEW_NAME).input("renamed").run()
    ok(at.button(key="runs_rename").click().run())
    assert at.dataframe[0].value["name"][0] == "renamed"
    assert at.sidebar.selectbox(key=state.ACTIVE_MODEL_WIDGET).value == "minilm"  # the old name is gone
    assert at.button(key="runs_delete").disabled
    at.checkbox(key=state.RUNS_CONFIRM_DELETE).check().run()
    ok(at.button(key="runs_delete").click().run())
    assert not (tmp_path / "runs" / "renamed").exists()
    assert any("No saved runs" in i.value for i in at.info)


def test_pretrain_upload_preview_and_bad_upload(app: AppTest, tmp_path: Path) -> None:
    at = go(app, "pretrain")
    at.selectbox(key=state.PRETRAIN_CORPUS_CHOICE).set_value("upload").run()
    ok(at.button(key=state.PRETRAIN_START).click().run())
    assert any("upload a corpus file first" in e.value for e in at.error) and my_view(at) is None
    text = "\n\n".join(f"Document {i} starts here. It has a second sentence about cats." for i in range(5))
    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("my corpus.txt", text.encode(), "text/plain").run()
    saved = ok(at).session_state[state.CORPUS_UPLOADED]
    path = Path(saved.path)
    assert saved.original_name == "my corpus.txt" and path.parent.parent == tmp_path / "uploads"
    assert path.name != "my corpus.txt" and path.read_text() == text  # generated name, own session folder
    assert any("**5** documents · **10** sentences" in c.value for c in at.caption)

    assert any("no documents held out" in c.value for c in at.caption)  # 5 documents: too few to hold any out
    at.radio(key=state.PRETRAIN_VOCAB).set_value("train").run()  # 8,000 asked of a 12-word corpus
    assert any("yields at most" in w.value and "8,000" in w.value for w in ok(at).warning)

    at.file_uploader(key=state.PRETRAIN_UPLOAD).upload("binary.txt", b"\x00\x01\x02" * 100, "text/plain").run()
    assert any("binary" in e.value for e in ok(at).error)


@pytest.mark.slow
def test_adapting_minilm_from_the_pretrain_page(app: AppTest) -> None:
    """Domain adaptation: start from the packaged encoder, freeze it for 2 steps, see before → after."""
    at = go(app, "pretrain")
    at.selectbox(key=state.PRETRAIN_INIT).set_value("minilm").run()
    ok(at)
    assert state.PRETRAIN_PRESET not in [r.key for r in at.radio]  # size and vocabulary come from the model
    at.number_input(key=state.PRETRAIN_FREEZE).set_value(2)
    at.selectbox(key=state.PRETRAIN_SEQ_LEN).set_value(32)
    at.number_input(key=state.PRETRAIN_BATCH).set_value(4)
    at.number_input(key=state.PRETRAIN_STEPS).set_value(3)
    at.number_input(key=state.PRETRAIN_WARMUP).set_value(0)
    ok(at.button(key=state.PRETRAIN_START).click().run())
    wait_until(lambda: my_view(at) is not None and my_view(at).status == "finished", timeout=240)
    view = my_view(at)
    assert [e["step"] for e in view.evals if "mlm_acc" in e] == [0, 3]
    info = (view.run_path / "run.json").read_text()
    assert '"init": "builtin:minilm"' in info and '"freeze_encoder_steps": 2' in info and "eval_before" in info
    ok(at.run())
    assert any("step 0 → step 3" in c.value for c in at.caption)
    assert view.vocab_size == 30522
