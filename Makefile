# annolab: `make run` serves the lab on http://127.0.0.1:8000 (demo login admin / annolab-demo),
# `make test` runs the whole test suite against a throwaway PostgreSQL. Both work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
# Touched after a successful install, so pip runs again only when requirements.txt changes.
DEPS_STAMP := $(VENV)/.requirements.installed
CHROMIUM := /usr/bin/chromium
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="tests/browser -x"`.
PYTEST_ARGS ?=

.PHONY: help run test deps jars chromium frontend labelstudio lint format

help:
	@echo "make run     set up and serve the web app and a worker on http://127.0.0.1:8000"
	@echo "make test    set up and run the test suite against a throwaway PostgreSQL"
	@echo "make frontend  install the Label Studio editor (npm) into var/frontend"
	@echo "make labelstudio  install Label Studio (PyPI) into var/labelstudio/venv for its tests"
	@echo "make lint    ruff check and format check, import-linter contracts"
	@echo "make format  ruff fix and format"

$(DEPS_STAMP): requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

deps: $(DEPS_STAMP)

jars:
	bash scripts/fetch_jars.sh

# Label Studio's editor for the annotate page, from npm into var/frontend (never into the repo);
# npm keeps its download cache in ~/.npm, so a reinstall is offline once it has run.
LABEL_STUDIO := var/frontend/node_modules/@heartexlabs/label-studio/build/static/js/main.js

$(LABEL_STUDIO):
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 and npm" >&2; exit 1; }
	npm install --no-audit --no-fund --prefix var/frontend @heartexlabs/label-studio@1.4.0

frontend: $(LABEL_STUDIO)

# The real Label Studio the ML-backend tests talk to (tests/labelstudio/), in a virtualenv of its
# own: it pins its own Django and DRF, which must never meet annolab's. Its wheels are kept in
# ~/.cache/pip (pip's HTTP cache is not filled here: the index answers uncacheable), so a fresh
# clone installs them offline; only the first install on a machine downloads (about 300 MB).
LABEL_STUDIO_VERSION := 1.23.2
LABEL_STUDIO_VENV := var/labelstudio/venv
LABEL_STUDIO_STAMP := $(LABEL_STUDIO_VENV)/.label-studio-$(LABEL_STUDIO_VERSION).installed
LABEL_STUDIO_WHEELS := $(HOME)/.cache/pip/annolab-label-studio-$(LABEL_STUDIO_VERSION)
LABEL_STUDIO_PIP := $(LABEL_STUDIO_VENV)/bin/python -m pip --disable-pip-version-check

$(LABEL_STUDIO_STAMP):
	test -x $(LABEL_STUDIO_VENV)/bin/python || python3 -m venv $(LABEL_STUDIO_VENV)
	$(LABEL_STUDIO_PIP) install --no-index --find-links $(LABEL_STUDIO_WHEELS) \
	    label-studio==$(LABEL_STUDIO_VERSION) 2>/dev/null || { \
	  $(LABEL_STUDIO_PIP) wheel --wheel-dir $(LABEL_STUDIO_WHEELS) label-studio==$(LABEL_STUDIO_VERSION) && \
	  $(LABEL_STUDIO_PIP) install --no-index --find-links $(LABEL_STUDIO_WHEELS) \
	    label-studio==$(LABEL_STUDIO_VERSION); }
	touch $@

labelstudio: $(LABEL_STUDIO_STAMP)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "Chromium is missing: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# Development only: DEBUG on and a throwaway key; the database defaults to SQLite under var/.
run: export DEBUG := true
run: export SECRET_KEY ?= insecure-development-key-for-make-run
run: deps jars frontend
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed_demo
	bash scripts/serve.sh

# Settings are read once, before any conftest runs, so the test environment is set here.
test: export DEBUG := false
test: export SECRET_KEY ?= insecure-test-key
test: export SPARK_DRIVER_MEMORY ?= 2g
test: deps jars chromium frontend labelstudio
	$(VENV)/bin/lint-imports
	bash scripts/with_test_postgres.sh $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
