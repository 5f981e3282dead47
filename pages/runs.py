"""Runs: every saved run; compare, rename, delete, set active, download and upload models."""

import streamlit as st

from explorer import session, settings, state
from explorer.charts import training as charts
from explorer.classroom import teacher as classroom
from explorer.jobs.registry import job_registry
from explorer.pretrain import timelapse_view
from explorer.runs import access as run_access
from explorer.runs import interrupted, zips
from explorer.runs import store as runs
from explorer.runs import table as runs_table
from explorer.ui import presenter
from explorer.ui.safe_text import md
from explorer.ui.widget_state import keep_choice, keep_choices

ss = st.session_state
root = settings.runs_dir()
st.title("Saved runs")
me, teacher = session.owner_id(), session.is_teacher()
where = (
    f"in `{root}` (set `BERT_EXPLORER_RUNS` to move them)"
    if teacher or not classroom.teacher_enabled()
    else "on the server"
)  # a student learns nothing from the server's folders
st.caption(f"Runs live {where}. Each checkpoint is a Hugging Face model folder: it loads in `transformers` too.")

saved = runs.visible_runs(root, me, teacher)  # your runs, published ones, and runs with no owner (CLI)
training = job_registry().training_run_paths()
if not saved:
    st.info("No saved runs yet: train one on the **Pretrain** page, or upload a model zip below.")
else:
    shared = {
        r.name: "published" if r.published else ("yours" if r.owner == me else "public" if not r.owner else "private")
        for r in saved
    }
    st.dataframe(
        runs_table.table_rows(saved, shared, training),
        hide_index=True,
        width="stretch",
        column_config=runs_table.COLUMNS,
    )

    names = [r.name for r in saved]
    with_curves = [r.name for r in saved if runs_table.curve_kind(r)]  # uploaded models have no loss curve
    keep_choices(state.RUNS_OVERLAY, with_curves, default=with_curves[:3])
    chosen = st.multiselect(
        "Compare loss curves",
        with_curves,
        key=state.RUNS_OVERLAY,
        help="Pretraining and fine-tuning runs are drawn on separate charts: their losses measure different tasks.",
    )
    groups = runs_table.overlay_groups([r for r in saved if r.name in chosen])
    relative = "pretraining" in groups and st.toggle(
        "MLM loss relative to chance (÷ ln V)",
        key=state.RUNS_RELATIVE,
        help="Each run's loss divided by its own chance loss ln V (V: its vocabulary size), so runs with "
        "different vocabularies compare: 1 is uniform guessing.",
    )
    for kind, curves in groups.items():
        key, title = runs_table.CURVES[kind]
        chance = {r.name: c for r in saved if r.name in curves and (c := runs.mlm_chance(r)) is not None}
        presenter.show_chart(
            charts.overlay_figure(curves, key, title, chance=chance, relative=relative and kind == "pretraining"),
            key=f"runs_overlay_{kind}",
            about="overlay",
            width="stretch",
        )
        if kind == "pretraining":
            unknown = [name for name in curves if name not in chance]
            st.caption(
                "Dashed lines: each run's chance loss ln V, in the run's colour (a run with a bigger "
                "vocabulary starts higher)."
                + (f" Vocabulary size unknown, so no chance line: {md(', '.join(unknown))}." if unknown else "")
            )

    st.subheader("Work with a run")
    keep_choice(state.RUNS_SELECTED, names)
    name = st.selectbox("Run", names, key=state.RUNS_SELECTED)
    run = next(r for r in saved if r.name == name)
    busy = run.path in training
    manage = run_access.can_manage(run.info, me, teacher, shared_server=classroom.teacher_enabled())
    with st.expander("Configuration"):
        st.json(run_access.public_info(run.info, me) or {"name": run.name}, expanded=False)
    if run.damaged:
        st.warning(
            f"This run is damaged: {md(settings.hide_server_paths(run.damaged))}. "
            + (
                "Only the teacher sees it."
                if run_access.DAMAGED in run.info
                else "The inspection pages cannot load it; every other run works as before."
            )
        )
    c1, c2, c3 = st.columns(3)
    if c1.button("Set as active model", key="runs_set_active", icon=":material/check_circle:"):
        ss[state.ACTIVE_MODEL] = f"run:{name}"
        session.flash("success", f"{name} is now the active model.")
        st.rerun()
    c2.download_button(
        "Download (Hugging Face zip)",
        data=lambda: zips.export_zip(run.path),
        file_name=f"{name}.zip",
        mime="application/zip",
        key="runs_download",
        icon=":material/download:",
    )
    with c3.popover("Rename or delete", disabled=busy or not manage, icon=":material/edit:"):
        new_name = st.text_input("New name", key=state.RUNS_NEW_NAME)
        if st.button("Rename", key="runs_rename", disabled=not manage) and manage:  # checked here too
            try:
                runs.rename_run(root, name, new_name)
            except runs.RunError as exc:
                st.error(md(exc))
            else:
                session.flash("success", f"Renamed {name} to {new_name.strip()}.")
                st.rerun()
        st.divider()
        confirm = st.checkbox(f"Yes, delete {name} and all its checkpoints", key=state.RUNS_CONFIRM_DELETE)
        if st.button("Delete", key="runs_delete", type="primary", disabled=not (confirm and manage)) and manage:
            runs.delete_run(root, name)
            session.flash("success", f"Deleted {name}.")
            st.rerun()
    if busy:
        st.caption("This run is training now: stop it before renaming or deleting it.")
    elif not manage:
        st.caption("Only its owner or the teacher can rename or delete this run.")
    if runs.shown_status(run, training) == "interrupted":
        interrupted.panel(run, manage)
    if run.info.get("kind") == "pretraining":
        with st.expander("Time-lapse: how this model changed while it trained", icon=":material/movie:"):
            timelapse_view.panel(run.path, "runs_lapse")

st.subheader("Upload a model")
st.caption(
    "A zip of a Hugging Face BERT folder: config.json, model.safetensors and vocab.txt or tokenizer.json. "
    "Pickled weights (pytorch_model.bin) are refused. The model is load-tested before it is added."
)
c1, c2 = st.columns([3, 2])
upload = c1.file_uploader("Model zip", type=["zip"], key=state.RUNS_UPLOAD)
c2.text_input("Name for it", key=state.RUNS_UPLOAD_NAME, placeholder="e.g. my-model")
if upload is not None and st.button("Add this model", key="runs_add"):
    with st.spinner("checking and load-testing the model…"):
        try:
            if upload.size > settings.max_upload_bytes():
                raise runs.RunError(
                    f"{upload.name} is {upload.size / 2**20:.1f} MB, over this server's upload "
                    f"limit of {settings.classroom().max_upload_mb} MB"
                )
            summary = zips.import_zip(
                root,
                ss[state.RUNS_UPLOAD_NAME] or upload.name.removesuffix(".zip"),
                upload.getvalue(),
                max_bytes=settings.MAX_MODEL_ZIP_BYTES,
                owner=me,
            )
        except runs.RunError as exc:
            st.error(md(exc))
        else:
            session.flash("success", f"Added {summary.name}: {summary.model}.")
            st.rerun()

if teacher:
    st.subheader("Teacher")
    if saved:
        shared = st.toggle(
            f"Publish {name} for everyone",
            value=run.published,
            key=f"runs_publish_{name}",
            help="Every session lists a published run and can load it; only you and its owner can rename or delete it.",
        )
        if shared != run.published:
            runs.set_published(root, name, shared)
            session.flash("success", f"{name} is {'now published' if shared else 'private again'}.")
            st.rerun()
    st.markdown("**Training jobs on this server**")
    classroom.stop_any_job_panel()
