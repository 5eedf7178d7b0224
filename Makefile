# pulumi-workplace: `make demo` and `make test` do all the set-up on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PULUMI_VERSION ?= 3.274.1
# The Python SDK: the release the main venv runs, and the oldest one pyproject.toml allows
# (`make test` also runs the unit tests and the CLI smoke test on it, in a second venv).
PULUMI_SDK_VERSION ?= 3.272.0
PULUMI_SDK_FLOOR ?= 3.216.0
# Outside the git tree so every clone (and CI) shares one build of the CLI.
PULUMI_TOOLS_DIR ?= $(HOME)/.cache/pulumi-workplace/pulumi-v$(PULUMI_VERSION)

ROOT := $(abspath .)
VENV := $(ROOT)/.venv
FLOOR_VENV := $(ROOT)/.venv-sdk-floor
PULUMI_BIN := $(PULUMI_TOOLS_DIR)/bin

# Every Pulumi invocation runs offline: local file backend, isolated home, no update checks,
# no plugin downloads. tests/ and benchmarks/ use the same settings (pulumi_env in tests/pulumi_harness.py).
export PATH := $(PULUMI_BIN):$(VENV)/bin:$(PATH)
export PULUMI_HOME := $(ROOT)/.pulumi-home
export PULUMI_BACKEND_URL := file://$(ROOT)/.pulumi-state
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_PYTHON_CMD := $(VENV)/bin/python
export PULUMI_WORKPLACE_TOOLS_BIN := $(PULUMI_BIN)

.PHONY: help setup demo test lint typecheck unit test-sdk-floor bench clean dist wheel-smoke
help:
	@echo "make demo   - set up, start the local Workplace emulator, run 'pulumi up' on the root program"
	@echo "make test   - set up, lint, type check, run all tests (unit + real Pulumi CLI end-to-end)"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make dist   - build the wheel and sdist into dist/ and check them (twine check)"

$(VENV)/.installed: pyproject.toml Makefile
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]' 'pulumi==$(PULUMI_SDK_VERSION)'
	@touch $@

$(FLOOR_VENV)/.installed: pyproject.toml Makefile
	@test -x $(FLOOR_VENV)/bin/python || $(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/python -m pip install --quiet -e '.[dev]' 'pulumi==$(PULUMI_SDK_FLOOR)'
	@touch $@

$(PULUMI_BIN)/pulumi: scripts/install-pulumi-cli.sh
	PULUMI_VERSION=$(PULUMI_VERSION) PULUMI_TOOLS_DIR=$(PULUMI_TOOLS_DIR) bash scripts/install-pulumi-cli.sh

# The SCIMMY server of tests/servers/scimmy, one of the independent SCIM servers the tests run:
# its npm packages exactly as package-lock.json pins them. A machine without Node.js gets Debian's
# (nodejs, npm), so `make setup` alone is enough on a fresh one too.
SCIMMY_DIR := tests/servers/scimmy
$(SCIMMY_DIR)/node_modules/.installed: $(SCIMMY_DIR)/package.json $(SCIMMY_DIR)/package-lock.json
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  echo "Node.js or npm missing: installing Debian's nodejs and npm"; \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; \
	fi
	npm ci --no-audit --no-fund --prefix $(SCIMMY_DIR)
	@touch $@

setup: $(VENV)/.installed $(SCIMMY_DIR)/node_modules/.installed
	@PULUMI_VERSION=$(PULUMI_VERSION) PULUMI_TOOLS_DIR=$(PULUMI_TOOLS_DIR) bash scripts/install-pulumi-cli.sh
	@mkdir -p .pulumi-home .pulumi-state

lint: $(VENV)/.installed
	ruff check provider tests benchmarks examples scripts __main__.py
	ruff format --check provider tests benchmarks examples scripts __main__.py
	lint-imports --no-cache

typecheck: $(VENV)/.installed
	mypy

unit: setup
	pytest -m "not cli"

test: setup lint typecheck dist $(FLOOR_VENV)/.installed
	FLOOR_PYTHON=$(FLOOR_VENV)/bin/python FLOOR_ARGS='$(FLOOR_ARGS)' \
	  PULUMI_SDK_VERSION=$(PULUMI_SDK_VERSION) bash scripts/run-tests.sh

# The wheel and the sdist users install, version from git (docs/releasing.md): built as a user's
# pip would (an isolated build from pyproject.toml; the wheel is built from the sdist, so a file
# missing from the sdist fails here), then checked by twine.
dist: $(VENV)/.installed
	rm -rf dist
	$(VENV)/bin/python -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

# The built wheel in a fresh venv outside the tree, and the CLI smoke test on it (part of
# `make test`, alongside the other tests: scripts/run-tests.sh).
wheel-smoke: setup dist
	PULUMI_SDK_VERSION=$(PULUMI_SDK_VERSION) bash scripts/wheel-smoke.sh

# The unit tests and the CLI smoke test on the oldest supported SDK (PULUMI_SDK_FLOOR). Left out:
# the tests of code that cannot reach the SDK (the import-linter contracts forbid it): the
# mission logic (tests/mission), the SCIM wire and matching (tests/scim) and the emulator
# (tests/emulator).
SDK_FREE_TESTS := tests/mission tests/scim tests/emulator
FLOOR_ARGS := -m "not cli or smoke" $(addprefix --ignore=,$(SDK_FREE_TESTS))
test-sdk-floor: setup $(FLOOR_VENV)/.installed
	PATH=$(PULUMI_BIN):$(FLOOR_VENV)/bin:$$PATH PULUMI_PYTHON_CMD=$(FLOOR_VENV)/bin/python \
	  $(FLOOR_VENV)/bin/python -m pytest -q $(FLOOR_ARGS)

demo: setup
	bash scripts/demo.sh

bench: setup
	python benchmarks/run_all.py

clean:
	rm -rf .pulumi-home .pulumi-state .demo .pytest_cache .mypy_cache .ruff_cache dist $(FLOOR_VENV)
