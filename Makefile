# chainrule: the two commands are `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test setup setup-test frontend chromium lint pytest bench clean

## serve: install everything the app needs, build the front end, start on http://$(HOST):$(PORT)
serve: setup
	$(BIN)/chainrule serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## test: install everything the tests need (Chromium included), lint, type-check, run every test
test: setup-test chromium lint pytest

setup: $(VENV)/.installed frontend

setup-test: setup $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# torch (bench extra) is installed for the tests too: the optimizers are checked against torch.optim.
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

frontend: static/build/.built

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

static/build/.built: node_modules/.package-lock.json scripts/build-static.mjs
	node scripts/build-static.mjs
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@chromium --version 2>/dev/null | head -1

lint:
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

pytest:
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -q

## bench: the performance benchmarks against the peers (see bench/README.md)
bench: setup-test
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) node_modules static/build artifacts .pytest_cache .mypy_cache .ruff_cache
