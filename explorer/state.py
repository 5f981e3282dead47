"""Every `st.session_state` key the app uses, with the defaults a new session starts from.

Per-user mutable state lives in `st.session_state` under the keys below (`explorer.session.init_session`
sets the defaults); the only mutable object shared between sessions is the job registry
(`explorer.jobs.registry.job_registry`), which guards itself with a lock. Widget keys are namespaced per
page (`pretrain_…`, `tok_…`, `runs_…`).
"""

from __future__ import annotations

from typing import Any

from bert_core.pretraining.recipes import settings as recipe_settings
from bert_core.pretraining.timelapse import DEFAULT_PROBES

# ---------------------------------------------------------------- app-wide
SESSION_ID = "session_id"  # str: this tab's secret session token (mirrored in ?sid=); see explorer.classroom.identity
ACTIVE_MODEL = "active_model"  # str: "minilm" | "live" | "run:NAME" (see explorer.active_model)
ACTIVE_MODEL_WIDGET = "sidebar_active_model"  # the sidebar selectbox (copied into ACTIVE_MODEL)
FLASH = "flash"  # (kind, text): a message shown once on the next run, e.g. after a rerun
TEACHER = "teacher"  # bool: this session entered the teacher password (explorer.classroom)
TEACHER_PASSWORD = "sidebar_teacher_password"  # the sidebar's password field
CORPUS_UPLOADED = "corpus_uploaded"  # explorer.corpora.SavedUpload: the session's uploaded corpus, on every page
CORPUS_RESTORED = "corpus_restored"  # bool: looked for an upload saved before a reload (explorer.corpora)
PRESENTER = "presenter"  # bool: presenter mode (explorer.ui.presenter): large chart and table text
PRESENTER_WIDGET = "sidebar_presenter"  # its sidebar toggle (copied into PRESENTER)
PRESENTER_DARK = "presenter_dark"  # bool: presenter mode's dark look
PRESENTER_DARK_WIDGET = "sidebar_presenter_dark"
PRESENTER_FOCUS = "presenter_focus"  # str | None: the chart_help id of the chart shown alone, full-width

# ---------------------------------------------------------------- home page
HOME_DEMO = "home_demo"  # prefix of the "use this demo run" buttons' keys

# ---------------------------------------------------------------- pretrain page
PRETRAIN_CORPUS_CHOICE = "pretrain_corpus_choice"  # "builtin:lee" | "builtin:news" | "builtin:wiki" | "upload"
PRETRAIN_UPLOAD = "pretrain_upload"  # file_uploader widget (saved as the session's upload, CORPUS_UPLOADED)
PRETRAIN_TEXT_COLUMN = "pretrain_text_column"  # of the session's upload (the tokenizer page reads it too)
PRETRAIN_RUN_NAME = "pretrain_run_name"
PRETRAIN_PRESET = "pretrain_preset"  # tiny | mini | small | custom
PRETRAIN_INIT = "pretrain_init"  # "random" | "minilm" | "run:NAME": where the weights start (domain adaptation)
PRETRAIN_FREEZE = "pretrain_freeze"  # int: steps with the encoder frozen (fresh heads catch up first)
PRETRAIN_LAYERS = "pretrain_layers"
PRETRAIN_HIDDEN = "pretrain_hidden"
PRETRAIN_HEADS = "pretrain_heads"
PRETRAIN_STEPS = "pretrain_steps"
PRETRAIN_MINUTES = "pretrain_minutes"  # float: a time budget the steps are fitted to (0: exactly PRETRAIN_STEPS)
PRETRAIN_BATCH = "pretrain_batch"
PRETRAIN_SEQ_LEN = "pretrain_seq_len"
PRETRAIN_LR = "pretrain_lr"
PRETRAIN_WARMUP = "pretrain_warmup"
PRETRAIN_WWM = "pretrain_wwm"
PRETRAIN_SEED = "pretrain_seed"
PRETRAIN_VOCAB = "pretrain_vocab"  # stock | train
PRETRAIN_VOCAB_SIZE = "pretrain_vocab_size"
PRETRAIN_SAVE_EVERY = "pretrain_save_every"
PRETRAIN_PROBE_EVERY = "pretrain_probe_every"
PRETRAIN_PROBES = "pretrain_probes"  # text area, one sentence per line
PRETRAIN_START = "pretrain_start"
PRETRAIN_STOP = "pretrain_stop"
PRETRAIN_RESUME = "pretrain_resume"
PRETRAIN_EXTRA_STEPS = "pretrain_extra_steps"
PRETRAIN_SETTINGS = "pretrain_settings"  # the Settings expander (open while no run trains: explorer.ui.presenter)
PRETRAIN_VIEW = "pretrain_view"  # what the live panel shows: curves | probes | batch | lapse
PRETRAIN_SEEN_ACTIVE = "pretrain_seen_active"  # bool: the live panel saw the job running (rerun when it ends)

# ---------------------------------------------------------------- tokenizer page
TOK_TEXT = "tok_text"
TOK_PAIR = "tok_pair"
TOK_CORPUS = "tok_corpus"  # a built-in corpus or "upload" (the session's upload)
TOK_UPLOAD = "tok_upload"  # file_uploader widget (saved as the session's upload, CORPUS_UPLOADED)
TOK_VOCAB_SIZE = "tok_vocab_size"
TOK_TRAIN = "tok_train"
TOK_TRAINED = "tok_trained"  # explorer.tokenizer_lab.TrainedVocab of the last training

# ---------------------------------------------------------------- runs page
RUNS_SELECTED = "runs_selected"  # the run the action panel works on
RUNS_OVERLAY = "runs_overlay"  # runs whose loss curves are overlaid
RUNS_RELATIVE = "runs_relative"  # overlay: loss ÷ chance (ln V) instead of raw loss
RUNS_NEW_NAME = "runs_new_name"
RUNS_CONFIRM_DELETE = "runs_confirm_delete"
RUNS_UPLOAD = "runs_upload"
RUNS_UPLOAD_NAME = "runs_upload_name"

# ---------------------------------------------------------------- fill-mask page
FILL_TEXT = "fill_text"  # the sentence; words clicked in the pills below it become [MASK]
FILL_WORDS = "fill_words"  # prefix of the word pills' key (suffixed by a hash of the text: new text, new pills)
FILL_TOP_K = "fill_top_k"
FILL_COMPARE = "fill_compare"  # "" or a second model source (explorer.active_model.comparison_sources)

# ---------------------------------------------------------------- attention page
ATTN_TEXT = "attn_text"
ATTN_PAIR = "attn_pair"
ATTN_GRID = "attn_grid"  # the layer × head grid chart (its click selection)
ATTN_GRID_PICKED = "attn_grid_picked"  # (layer, head) last taken from a grid click, so a click applies once
ATTN_LAYER = "attn_layer"  # the enlarged head
ATTN_HEAD = "attn_head"
ATTN_WORDS = "attn_words"  # whole words instead of word pieces

# ---------------------------------------------------------------- embeddings page
EMB_SOURCE = "emb_source"  # explorer.inspect.texts.TEXT_SOURCES key
EMB_PASTE = "emb_paste"
EMB_UPLOAD = "emb_upload"
EMB_COUNT = "emb_count"  # how many texts to sample
EMB_POOLING = "emb_pooling"  # cls | mean | tokens
EMB_LAYER = "emb_layer"
EMB_ALL_LAYERS = "emb_all_layers"  # every layer in one map, coloured by layer
EMB_METHOD = "emb_method"  # umap | pca
EMB_DIMS = "emb_dims"  # 2 | 3
EMB_NEIGHBORS = "emb_neighbors"
EMB_MIN_DIST = "emb_min_dist"
EMB_COLOR = "emb_color"  # label | word | layer | none
EMB_WORDS = "emb_words"  # words to colour by, comma-separated
EMB_CHART = "emb_chart"  # the scatter (its click selection)
EMB_CHART_PICKED = "emb_chart_picked"  # the point last taken from a click, so a click applies once
EMB_POINT = "emb_point"  # the point whose neighbours are listed

# ---------------------------------------------------------------- fine-tune page
FT_TASK = "ft_task"  # sentiment | qa
FT_DATA = "ft_data"  # a built-in spec (explorer.finetune.form.DATA_CHOICES) or "upload"
FT_UPLOAD = "ft_upload"  # file_uploader widget
FT_UPLOADED = "ft_uploaded"  # explorer.finetune.form.SavedData of the last upload (saved under a generated name)
FT_TEXT_COLUMN = "ft_text_column"  # sentiment uploads: the column picker
FT_LABEL_COLUMN = "ft_label_column"
FT_INIT = "ft_init"  # minilm | random | hub | run:NAME
FT_HUB_NAME = "ft_hub_name"  # e.g. bert-base-uncased (online only)
FT_RUN_NAME = "ft_run_name"
FT_EPOCHS = "ft_epochs"
FT_BATCH = "ft_batch"
FT_LR = "ft_lr"
FT_SEQ_LEN = "ft_seq_len"
FT_DOC_STRIDE = "ft_doc_stride"  # QA: overlap of context windows
FT_SEED = "ft_seed"
FT_FREEZE = "ft_freeze"  # steps with the encoder frozen (the fresh head catches up first)
FT_MAX_TRAIN = "ft_max_train"  # training examples used (a seeded subsample; 0 = all)
FT_MAX_DEV = "ft_max_dev"  # dev examples scored (0 = all)
FT_EVALS = "ft_evals"  # dev evaluations per epoch (points on the live dev curve)
FT_START = "ft_start"
FT_STOP = "ft_stop"
FT_SETTINGS = "ft_settings"  # the Settings expander (open while no run trains: explorer.ui.presenter)
FT_SEEN_ACTIVE = "ft_seen_active"  # bool: the live panel saw the job running (rerun when it ends)
FT_TRY_TEXT = "ft_try_text"  # try-it: a sentence to classify
FT_TRY_QUESTION = "ft_try_question"  # try-it: question and context for QA
FT_TRY_CONTEXT = "ft_try_context"
FT_COMPARE_VIEW = "ft_compare_view"  # before/after: embeddings | attention
FT_COMPARE_METHOD = "ft_compare_method"  # pca | umap
FT_COMPARE_TEXT = "ft_compare_text"  # before/after attention: the input
FT_SHOWN_RUN = "ft_shown_run"  # FinetunedModels.key the inputs above were filled for (a new run refills them)

# The Pretrain page starts from the classroom recipe (bert_core.pretraining.recipes, measured in
# docs/pretraining.md): the CLI's `--recipe classroom` trains the same model.
_RECIPE = recipe_settings("classroom")
DEFAULTS: dict[str, Any] = {
    ACTIVE_MODEL: "minilm",
    PRESENTER: False,
    PRESENTER_DARK: False,
    PRESENTER_FOCUS: None,
    PRETRAIN_CORPUS_CHOICE: _RECIPE["corpus"],
    PRETRAIN_TEXT_COLUMN: "",
    PRETRAIN_PRESET: _RECIPE["preset"],
    PRETRAIN_INIT: "random",
    PRETRAIN_FREEZE: 0,
    PRETRAIN_LAYERS: 2,
    PRETRAIN_HIDDEN: 128,
    PRETRAIN_HEADS: 2,
    PRETRAIN_STEPS: _RECIPE["steps"],
    PRETRAIN_MINUTES: float(_RECIPE["max_minutes"] or 0.0),
    PRETRAIN_BATCH: _RECIPE["batch_size"],
    PRETRAIN_SEQ_LEN: _RECIPE["seq_len"],
    PRETRAIN_LR: _RECIPE["lr"],
    PRETRAIN_WARMUP: _RECIPE["warmup"],
    PRETRAIN_WWM: _RECIPE["wwm"],
    PRETRAIN_SEED: _RECIPE["seed"],
    PRETRAIN_VOCAB: _RECIPE["vocab"],
    PRETRAIN_VOCAB_SIZE: _RECIPE["vocab_size"],
    PRETRAIN_SAVE_EVERY: _RECIPE["save_every"],
    PRETRAIN_PROBE_EVERY: 10,
    PRETRAIN_PROBES: "\n".join(DEFAULT_PROBES),
    PRETRAIN_VIEW: "curves",
    PRETRAIN_EXTRA_STEPS: 200,
    TOK_TEXT: "The unbelievably fluffy kitten purred on the windowsill.",
    TOK_PAIR: "",
    TOK_CORPUS: "builtin:lee",
    TOK_VOCAB_SIZE: 2000,
    FILL_TEXT: "The prime minister said the [MASK] would rise next year.",
    FILL_TOP_K: 5,
    FILL_COMPARE: "",
    ATTN_TEXT: "The cat sat on the mat because it was tired.",
    ATTN_PAIR: "",
    ATTN_LAYER: 0,
    ATTN_HEAD: 0,
    ATTN_WORDS: False,
    EMB_SOURCE: "builtin:rotten_tomatoes",
    EMB_PASTE: "",
    EMB_COUNT: 500,
    EMB_POOLING: "mean",
    EMB_LAYER: -1,
    EMB_ALL_LAYERS: False,
    EMB_METHOD: "umap",
    EMB_DIMS: 2,
    EMB_NEIGHBORS: 15,
    EMB_MIN_DIST: 0.1,
    EMB_COLOR: "label",
    EMB_WORDS: "",
    # Fine-tune defaults: MiniLM on 4,000 Rotten Tomatoes snippets, 1 epoch, 64 tokens (see the page's help
    # for the measured time and accuracy).
    FT_TASK: "sentiment",
    FT_DATA: "builtin:rotten_tomatoes",
    FT_INIT: "minilm",
    FT_HUB_NAME: "bert-base-uncased",
    FT_EPOCHS: 1.0,
    FT_BATCH: 32,
    FT_LR: 1e-4,
    FT_SEQ_LEN: 64,
    FT_DOC_STRIDE: 64,
    FT_SEED: 0,
    FT_FREEZE: 0,
    FT_MAX_TRAIN: 4000,
    FT_MAX_DEV: 500,
    FT_EVALS: 4,
    FT_TRY_TEXT: "A warm, funny and beautifully acted film.",
    FT_TRY_QUESTION: "",
    FT_TRY_CONTEXT: "",
    FT_COMPARE_VIEW: "embeddings",
    FT_COMPARE_METHOD: "pca",
    FT_COMPARE_TEXT: "",
}
# Widget values kept when the user visits another page (Streamlit forgets unrendered widgets).
PERSISTENT = [k for k in DEFAULTS if k != ACTIVE_MODEL] + [
    PRETRAIN_RUN_NAME,
    RUNS_OVERLAY,
    RUNS_SELECTED,
    FT_RUN_NAME,
    FT_TEXT_COLUMN,
    FT_LABEL_COLUMN,
]
