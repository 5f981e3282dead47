"""Runs: every saved run; compare, rename, delete, set active, download and upload models."""
import streamlit as st

from explorer import charts, classroom, presenter, runs, settings, state

ss = st.session_state
root = settings.runs_dir()
st.title("Saved runs")
st.caption(f"Runs live in `{root}` (set `BERT_EXPLORER_RUNS` to move them). Each checkpoint is a Hugging Face "
           "model folder: it loads in `transformers` too.")

me, teacher = state.session_id(), state.is_teacher()
saved = runs.visible_runs(root, me, teacher)  # your runs, published ones, and runs with no owner (CLI)
training = state.job_registry().training_run_paths()
if not saved:
    st.info("No saved runs yet: train one on the **Pretrain** page, or upload a model zip below.")
else:
    table = [{"name": r.name, "kind": r.info.get("kind", "—"), "status": "training" if r.path in training else r.status,
              "shared": "published" if r.published else ("yours" if r.owner == me else "public" if not r.owner
                                                           else "private"), "steps": r.steps,
              "model": r.model, "corpus": r.corpus, "MLM loss": round(r.final.get("mlm_loss", float("nan")), 3),
              "MLM acc %": round(100 * r.final.get("mlm_acc", float("nan")), 1),
              "NSP acc %": round(100 * r.final.get("nsp_acc", float("nan")), 1),
              "dev result": runs.dev_result(r), "date": r.date} for r in saved]
    st.dataframe(table, hide_index=True, width="stretch")

    names = [r.name for r in saved]
    ss[state.RUNS_OVERLAY] = [n for n in ss.get(state.RUNS_OVERLAY, names[:3]) if n in names]
    chosen = st.multiselect("Compare loss curves", names, key=state.RUNS_OVERLAY)
    if chosen:
        curves = {n: runs.step_metrics(root / n) for n in chosen}
        presenter.show_chart(charts.overlay_figure(curves), key="runs_overlay_chart", about="overlay", width="stretch")

    st.subheader("Work with a run")
    if ss.get(state.RUNS_SELECTED) not in names:
        ss[state.RUNS_SELECTED] = names[0]
    name = st.selectbox("Run", names, key=state.RUNS_SELECTED)
    run = next(r for r in saved if r.name == name)
    busy = run.path in training
    manage = runs.can_manage(run, me, teacher, shared_server=classroom.teacher_enabled())
    with st.expander("Configuration"):
        st.json(run.info or {"name": run.name}, expanded=False)
    c1, c2, c3 = st.columns(3)
    if c1.button("Set as active model", key="runs_set_active", icon=":material/check_circle:"):
        ss[state.ACTIVE_MODEL] = f"run:{name}"
        state.flash("success", f"{name} is now the active model.")
        st.rerun()
    c2.download_button("Download (Hugging Face zip)", data=lambda: runs.export_zip(run.path), file_name=f"{name}.zip",
                       mime="application/zip", key="runs_download", icon=":material/download:")
    with c3.popover("Rename or delete", disabled=busy or not manage, icon=":material/edit:"):
        new_name = st.text_input("New name", key=state.RUNS_NEW_NAME)
        if st.button("Rename", key="runs_rename", disabled=not manage) and manage:  # checked here too
            try:
                runs.rename_run(root, name, new_name)
            except runs.RunError as exc:
                st.error(str(exc))
            else:
                state.flash("success", f"Renamed {name} to {new_name.strip()}.")
                st.rerun()
        st.divider()
        confirm = st.checkbox(f"Yes, delete {name} and all its checkpoints", key=state.RUNS_CONFIRM_DELETE)
        if st.button("Delete", key="runs_delete", type="primary", disabled=not (confirm and manage)) and manage:
            runs.delete_run(root, name)
            state.flash("success", f"Deleted {name}.")
            st.rerun()
    if busy:
        st.caption("This run is training now: stop it before renaming or deleting it.")
    elif not manage:
        st.caption("Only its owner or the teacher can rename or delete this run.")

st.subheader("Upload a model")
st.caption("A zip of a Hugging Face BERT folder: config.json, model.safetensors and vocab.txt or tokenizer.json. "
           "Pickled weights (pytorch_model.bin) are refused. The model is load-tested before it is added.")
c1, c2 = st.columns([3, 2])
upload = c1.file_uploader("Model zip", type=["zip"], key=state.RUNS_UPLOAD)
c2.text_input("Name for it", key=state.RUNS_UPLOAD_NAME, placeholder="e.g. my-model")
if upload is not None and st.button("Add this model", key="runs_add"):
    with st.spinner("checking and load-testing the model…"):
        try:
            if upload.size > settings.max_upload_bytes():
                raise runs.RunError(f"{upload.name} is {upload.size / 2**20:.1f} MB, over this server's upload "
                                    f"limit of {settings.classroom().max_upload_mb} MB")
            summary = runs.import_zip(root, ss[state.RUNS_UPLOAD_NAME] or upload.name.removesuffix(".zip"),
                                      upload.getvalue(), max_bytes=settings.MAX_MODEL_ZIP_BYTES, owner=me)
        except runs.RunError as exc:
            st.error(str(exc))
        else:
            state.flash("success", f"Added {summary.name}: {summary.model}.")
            st.rerun()

if teacher:
    st.subheader("Teacher")
    if saved:
        shared = st.toggle(f"Publish {name} for everyone", value=run.published, key=f"runs_publish_{name}",
                           help="Every session lists a published run and can load it; only you and its owner "
                                "can rename or delete it.")
        if shared != run.published:
            runs.set_published(root, name, shared)
            state.flash("success", f"{name} is {'now published' if shared else 'private again'}.")
            st.rerun()
    st.markdown("**Training jobs on this server**")
    classroom.stop_any_job_panel()
