# BERT Explorer: the usual tasks. `make` alone lists them.
# Every target uses the project's virtual environment (.venv); the ones that need it install it first
# when it is missing or older than install.sh, pyproject.toml or a requirements file.

VENV := .venv
PY := $(VENV)/bin/python
DEPS := install.sh pyproject.toml requirements.txt requirements-assets.txt
DEV_DEPS := $(DEPS) requirements-dev.txt

PYTEST_ARGS ?= -q -n 2
BENCH_ARGS ?=
APP_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev app test lint docs-check bench demo

help:
	@echo "make install      install the app, bert_core and the offline assets into .venv (./install.sh)"
	@echo "make install-dev  the same plus the test tools (./install.sh --dev)"
	@echo "make app          start the app on http://localhost:8501 (APP_ARGS='--server.address 0.0.0.0' for a classroom)"
	@echo "make test         install with the test tools if needed, then run the whole suite"
	@echo "make lint         ruff check, ruff format --check, mypy bert_core, and the docs' links"
	@echo "make bench        bert_core against transformers (BENCH_ARGS=--quick for a 2-minute run)"
	@echo "make demo         prepare a lesson's three runs in runs/ (python -m bert_core demo)"

# Always (re)install, as asked.
install:
	./install.sh
	touch $(VENV)/.installed

install-dev:
	./install.sh --dev
	touch $(VENV)/.installed $(VENV)/.installed-dev

# Install only when .venv is missing or stale (the stamps live inside .venv, so `rm -rf .venv` resets them).
$(VENV)/.installed: $(DEPS)
	./install.sh
	touch $@

$(VENV)/.installed-dev: $(DEV_DEPS)
	./install.sh --dev
	touch $(VENV)/.installed $@

app: $(VENV)/.installed
	$(VENV)/bin/streamlit run explorer/app.py $(APP_ARGS)

test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev docs-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bert_core

# Every relative link in README.md and docs/*.md points to a file that exists (standard library only).
docs-check:
	python3 docs/check_links.py

bench: $(VENV)/.installed-dev
	$(PY) -m bench $(BENCH_ARGS)

demo: $(VENV)/.installed
	$(PY) -m bert_core demo --out runs/
