# The two commands of the README: `make run` and `make test`.
# Each creates the virtual environment on first use (and again when a
# requirements file changes), so a fresh clone needs nothing else.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
STAGE ?= dev
PORT ?= 8000
EMULATOR_PORT ?= 8001

.DEFAULT_GOAL := help
.PHONY: help venv test lint typecheck unit run bench bench-startup package deploy destroy clean

help:
	@echo "make run    serve the API locally (see README)"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make bench  measure, and print a table"
	@echo "make package|deploy|destroy STAGE=dev   the stage's stack (see README)"

$(READY): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --dest .wheels \
		-r requirements.txt -c constraints.txt
	@touch $@

venv: $(READY)

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(READY)
	$(BIN)/mypy

unit: $(READY)
	$(BIN)/pytest

test: lint typecheck unit

run: $(READY)
	@$(BIN)/python -m infra.local_stack --port $(PORT) --emulator-port $(EMULATOR_PORT)

bench: $(READY)
	$(BIN)/python -m bench.bench

bench-startup: $(READY)
	$(BIN)/python -m bench.startup --cold

package: $(READY)
	$(BIN)/python -m infra.package --stage $(STAGE)

deploy: package
	$(BIN)/python -m infra.deploy --stage $(STAGE)

destroy: $(READY)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --destroy --confirm "$(CONFIRM)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
