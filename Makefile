# The two commands of the README: `make run` and `make test` (and `make check`, its quick part).
# Each creates the virtual environment on first use (and again when a
# requirements file changes), so a fresh clone needs nothing else.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
WHEELS := .wheels/.ready
STAGE ?= dev
PORT ?= 8000
EMULATOR_PORT ?= 8001
WEB_PORT ?= 8002
WS_PORT ?= 8003
STATE ?= .local/state.pickle
# The tests run in this many processes (pytest-xdist; auto: one per CPU), each test file whole in
# one of them, in order (a module's own stack is started once, and stopped by its last test).
WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help venv wheels check test browser lint typecheck unit run reset reindex bench bench-startup screenshots package deploy destroy logs clean

help:
	@echo "make run    serve the API locally, with the data kept in $(STATE) (see README)"
	@echo "make run FRESH=1   start empty (the data saved before is kept beside it)"
	@echo "make run SCOPED=1  scoped mode: access tokens with OAuth scopes, from the pool's sign-in page"
	@echo "make reset  delete the data make run keeps"
	@echo "make reindex   make the search index again from the notes (the running make run; STAGE=dev: deployed)"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make check  lint, type-check and the tests that need no local stack and no browser (quick)"
	@echo "make bench  measure, and print a table (within 5 minutes)"
	@echo "make bench FULL=1   the heavy rows too (about 10 minutes)"
	@echo "make screenshots   the web app's main screens, as docs/screenshots/*.png"
	@echo "make package|deploy|destroy STAGE=dev   the stage's stack (see README)"
	@echo "make logs STAGE=dev   follow the stage's function logs (JSON=1: as they are)"

$(READY): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt -c constraints.txt -e .
	@touch $@

venv: $(READY)

# The deployed requirements as wheels, from which make package builds the Lambda package offline
# (and the infra tests build it as make package does). make run never needs them.
$(WHEELS): requirements.txt constraints.txt | $(READY)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --dest $(@D) \
		-r requirements.txt -c constraints.txt
	@touch $@

wheels: $(WHEELS)

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(READY)
	$(BIN)/mypy

unit: $(READY) $(WHEELS)
	$(PYTEST)

test: browser lint typecheck unit

# What needs no running stack (make run) and no browser: see docs/testing.md.
check: lint typecheck $(WHEELS)
	$(PYTEST) -m "not stack and not browser"

# The web app's browser tests drive Chromium ($(CHROMIUM)). As root with apt-get, Debian's
# chromium is installed when it is missing; otherwise this says how (the tests then skip, or
# under CI=true fail saying the same).
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests (apt-get install -y chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| echo "could not install chromium: the browser tests will say what to do"; \
	else \
		echo "the browser tests need Chromium at $(CHROMIUM): install it (on Debian or Ubuntu:" \
			"sudo apt-get install chromium), or give its path as CHROMIUM=/path/to/chromium"; \
	fi

run: $(READY)
	@$(BIN)/python -m local_stack --port $(PORT) --emulator-port $(EMULATOR_PORT) \
		--web-port $(WEB_PORT) --ws-port $(WS_PORT) --state $(STATE) \
		$(if $(filter-out 0 no false,$(FRESH)),--fresh) $(if $(filter-out 0 no false,$(SCOPED)),--scoped) $(if $(filter-out 0 no false,$(NO_RELOAD)),--no-reload)

reset:
	@if [ -e $(STATE) ]; then rm -f $(STATE) && echo "deleted $(STATE): the next make run starts empty"; \
	else echo "no data saved in $(STATE): the next make run starts empty"; fi

# The running local stack's index, or a deployed stage's when STAGE is given.
reindex: $(READY)
	$(BIN)/python -m $(if $(filter command line environment,$(origin STAGE)),infra.reindex --stage $(STAGE),local_stack.reindex)

bench: $(READY) $(WHEELS)
	$(BIN)/python -m bench.bench $(if $(FULL),--full)

bench-startup: $(READY)
	$(BIN)/python -m bench.startup --cold

screenshots: $(READY) browser
	$(BIN)/python -m tools.screenshots

package: $(READY) $(WHEELS)
	ALARM_EMAIL="$(ALARM_EMAIL)" $(BIN)/python -m infra.package --stage $(STAGE)

deploy: package
	$(BIN)/python -m infra.deploy --stage $(STAGE)

logs: $(READY)
	@$(BIN)/python -m infra.logs --stage $(STAGE) $(if $(filter-out 0 no false,$(JSON)),--json)

destroy: $(READY)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --destroy --confirm "$(CONFIRM)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
