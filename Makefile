# Every target creates or refreshes .venv itself: `make run` and `make test` are the only
# set-up commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench protos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tas demo

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check tas media registrations tests
	$(BIN)/ruff format --check tas media registrations tests

typecheck: $(STAMP)
	$(BIN)/mypy tas media registrations

bench: $(STAMP)
	$(BIN)/python -m tests.bench

protos: $(STAMP)
	$(BIN)/python -m registrations.protos

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
