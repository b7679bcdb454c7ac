# Window Academy (窗口学院). The two commands a person needs:
#   make run    set everything up (once), then serve http://127.0.0.1:5000 with the demo district
#   make test   install the test tools, lint, run the suite on SQLite and then on PostgreSQL
# Each set-up step is skipped when already done (stamps in .venv, dpkg checks), so a second
# `make run` only checks, migrates (nothing to do) and finds the demo complete.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.NOTPARALLEL:  # each step needs the one before it

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
FLASK := $(VENV)/bin/flask --app wsgi
STAMP_APP := $(VENV)/.stamp-app
STAMP_TEST := $(VENV)/.stamp-test
DEMO ?= 1
DEMO_PASSWORD := academy-demo
PYTEST_ARGS ?=

PO_FILES := $(wildcard academy/translations/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help run test venv system-deps system-deps-test install install-test translations \
        migrate curriculum demo lint test-sqlite test-pg

help:
	@echo "make run     set up (first time) and serve http://127.0.0.1:5000 with demo data"
	@echo "make test    lint, then the test suite on SQLite and on PostgreSQL"
	@echo "helpers: venv system-deps install translations migrate curriculum demo lint test-sqlite test-pg"

# ------------------------------------------------------------------ the two commands

run: system-deps install translations migrate curriculum demo
	@echo
	@echo "Window Academy 窗口学院: http://127.0.0.1:5000"
	@if [ "$(DEMO)" = 1 ]; then \
	  echo "Demo sign-ins (password $(DEMO_PASSWORD)):"; \
	  echo "  admin       district administrator, also instructor"; \
	  echo "  admin-s01   administrator of subdistrict centre S01"; \
	  echo "  instructor  instructor"; \
	  echo "  assessor    third-party assessor"; \
	  echo "  trainee     new contract clerk at a village station"; \
	fi
	@echo "Stop with Ctrl-C."
	@echo
	@bash scripts/serve.sh

test: system-deps-test install-test translations
	@bash scripts/test.sh all $(PYTEST_ARGS)

# ------------------------------------------------------------------ helpers

system-deps:
	@bash scripts/system-deps.sh run

system-deps-test:
	@bash scripts/system-deps.sh test

venv: $(PY)

$(PY):
	@bash scripts/make-venv.sh

install: $(STAMP_APP)

# The app's dependencies; re-installed only when pyproject.toml changes.
$(STAMP_APP): pyproject.toml | $(PY)
	$(PIP) install -qq -e .
	@touch $@

install-test: $(STAMP_TEST)

# The app plus the test tools (pytest, hypothesis, schemathesis, playwright, ruff).
# Playwright drives Debian's /usr/bin/chromium: no browser download.
$(STAMP_TEST): pyproject.toml | $(PY)
	$(PIP) install -qq -e '.[test]'
	@touch $(STAMP_APP) $@

# Compiled only where a .po file exists and is newer than its .mo.
translations: $(MO_FILES)

academy/translations/%.mo: academy/translations/%.po | $(STAMP_APP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

migrate: install
	@set -o pipefail; $(FLASK) db upgrade 2>&1 | awk '!/Context impl|Will assume/'

# Load courses/ (skills, profiles, courses, paths); unchanged files change nothing.
curriculum: migrate
	$(FLASK) academy courses sync courses

demo: migrate
	@if [ "$(DEMO)" = 1 ]; then $(FLASK) academy demo; fi

lint: install-test
	$(VENV)/bin/ruff check .

test-sqlite: system-deps-test install-test translations
	@bash scripts/test.sh sqlite $(PYTEST_ARGS)

test-pg: system-deps-test install-test translations
	@bash scripts/test.sh pg $(PYTEST_ARGS)
