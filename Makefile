# yichuang — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell command -v python3.12 || command -v python3.13 || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-sqlite test-postgres lint bench install browser-deps clean

$(BIN)/yichuang: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python >= 3.12 is required (found %s)" % sys.version.split()[0]'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/yichuang

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/yichuang node_modules/.installed

# Load the Shenqiu demo hall and serve it with the task worker on http://$(HOST):$(PORT).
# Its messages go to the console log: allowed for the demo with DEBUG off (never in production, docs/channels.md).
demo: export NOTIFICATION_CONSOLE_ALLOWED ?= 1
demo: export FEES_SIMULATOR_ALLOWED ?= 1
demo: install
	$(BIN)/yichuang migrate --noinput
	$(BIN)/yichuang createcachetable
	$(BIN)/yichuang collectstatic --noinput --verbosity 0
	$(BIN)/yichuang demo --host $(HOST) --port $(PORT)

browser-deps:
	@bash scripts/browser-deps.sh

# The whole suite on SQLite and on PostgreSQL (a throwaway server if none answers), browser tests included, and the
# API fuzzing run on each (schemathesis: src/yichuang/core/tests/test_api_fuzz.py; API_FUZZ_EXAMPLES=200 explores more).
# A pytest run keeps one core busy: the two databases run side by side (each run's output printed when it ends).
test: install browser-deps lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install
	DATABASE_URL= $(BIN)/pytest -q

test-postgres: install
	bash scripts/with-postgres.sh $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

bench: export NOTIFICATION_CONSOLE_ALLOWED ?= 1
bench: export FEES_SIMULATOR_ALLOWED ?= 1
bench: install
	bash scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules var
