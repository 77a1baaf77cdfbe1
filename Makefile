# Single entry point for people and CI.  `make atlas` and `make test` do all set-up.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SYSTEM_STAMP := .venv/.system-stamp
APT_PACKAGES := poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: atlas fiches test test-full lint data preview bench setup system clean

setup: $(STAMP) $(SYSTEM_STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	# bytecode written once (PYTHONDONTWRITEBYTECODE may be set): every `atlas` run imports it
	$(BIN)/python -m compileall -q reports
	touch $@

# System packages (PDF tools for tests, Chromium for browser tests, Pango for WeasyPrint).
$(SYSTEM_STAMP): $(STAMP)
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	touch $@

atlas: setup
	$(BIN)/atlas build

fiches: setup
	$(BIN)/atlas fiche --all

data: setup
	$(BIN)/atlas data build

preview: setup
	$(BIN)/atlas preview --open

# two test processes; the modules sharing a build (atlas, fiches, derived data) in one (tests/conftest.py)
PYTEST_PARALLEL := -n 2 --dist loadscope --no-loadscope-reorder

test: setup
	$(BIN)/ruff check reports tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

test-full: setup  # + the checks too long for every run (a --pdfa atlas build)
	$(BIN)/ruff check reports tests benchmarks
	ATLAS_TEST_FULL=1 $(BIN)/python -m pytest $(PYTEST_PARALLEL)

lint: setup
	$(BIN)/ruff check reports tests benchmarks
	$(BIN)/ruff format --check reports tests benchmarks

bench: setup
	$(BIN)/python benchmarks/bench_data.py

clean:
	rm -rf output cache
