# One-command setup: every target creates .venv and installs what it needs on a machine that
# has only python3. Stamps make re-runs instant until pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg

.PHONY: demo test check lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[apps]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime-installed

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.dev-installed $(VENV)/.runtime-installed

demo: $(VENV)/.runtime-installed
	$(BIN)/kvant demo

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

check: lint typecheck test

bench: $(VENV)/.bench-installed
	@mkdir -p benchmarks/results
	@for script in benchmarks/*.py; do \
		name=$$(basename $$script .py); \
		echo "== $$name"; \
		$(BIN)/python $$script --out benchmarks/results/$$name.json || exit 1; \
	done

clean:
	rm -rf $(VENV) kvant-demo .pytest_cache .mypy_cache .ruff_cache
