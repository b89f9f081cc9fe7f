# vrlake: `make demo` and `make test` set themselves up on a fresh machine (Python, pip, node, npm present).
# Every setup step is guarded by a stamp file, so a second run is quick.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
export VRLAKE_HOME ?= $(CURDIR)/.vrlake
export DAGSTER_HOME ?= $(VRLAKE_HOME)/dagster
DBT_DIR := dbt_project
# Absolute paths: dagster-dbt runs dbt from inside the project, and a manifest parsed with relative paths breaks seeds.
DBT_FLAGS := --project-dir $(abspath $(DBT_DIR)) --profiles-dir $(abspath $(DBT_DIR))

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENV_STAMP := .venv/.vrlake-synced
NODE_STAMP := node_modules/.vrlake-installed
MANIFEST := $(DBT_DIR)/target/manifest.json
# Where `make demo` keeps its synthetic area's truth (who is who), apart from VRLAKE_HOME: linkage is scored against it.
DEMO_TRUTH := $(CURDIR)/.vrlake-synthetic/truth.csv
DBT_SOURCES := $(shell find $(DBT_DIR) -path $(DBT_DIR)/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print 2>/dev/null)

.PHONY: .uv-available help setup demo test test-e2e ui bench bench-linkage linkage-quality docs clean

help:
	@echo "make demo   - set up, generate a synthetic VRU area and run the whole pipeline (embedded default)"
	@echo "make test   - set up and run the whole test suite (Azurite, dbt build, Dagster included)"
	@echo "make test-e2e - the slow journeys: dagster dev + Azurite drop-to-mart, the UI in headless Chromium"
	@echo "make ui     - open the Dagster UI (http://127.0.0.1:3000) on the same VRLAKE_HOME"
	@echo "make bench  - benchmarks at quick scale (SCALE=force|medium|curve|curve-medium|curve-force)"
	@echo "make bench-linkage PEOPLE=N - linkage on pseudonymised vs cleartext records: F1, time, memory"
	@echo "make linkage-quality - the demo's person index scored against its synthetic truth (after make demo)"
	@echo "make docs   - build the dbt docs site (data dictionary) and the JSNA report"

# --- setup -------------------------------------------------------------------------------------------
.uv-available:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(VENV_STAMP): pyproject.toml uv.lock | .uv-available
	$(UV) sync --frozen --all-groups
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(MANIFEST): $(VENV_STAMP) $(DBT_SOURCES)
	$(RUN) dbt parse $(DBT_FLAGS) --quiet

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

setup: $(VENV_STAMP) $(NODE_STAMP) $(MANIFEST)

# --- the two commands ---------------------------------------------------------------------------------
demo: setup
	VRLAKE_DEMO_MODE=1 $(RUN) vrlake demo

test: setup $(CHROMIUM)
	$(RUN) pytest -q -m "not slow"

# The journeys with a real `dagster dev` (webserver + daemon), Azurite and a browser: minutes, so kept apart.
test-e2e: setup $(CHROMIUM)
	$(RUN) pytest -q -m slow

ui: setup
	$(RUN) python -c "from pathlib import Path; from vrlake.dagster_home import ensure_dagster_home; ensure_dagster_home(Path('$(DAGSTER_HOME)'))"
	@# On the demo's synthetic area, the person index also reports its linkage quality against the demo's truth.
	export VRLAKE_DEMO_MODE=$${VRLAKE_DEMO_MODE:-1}; \
	if [ "$$VRLAKE_DEMO_MODE" = 1 ] && [ -f "$(DEMO_TRUTH)" ]; then export VRLAKE_SYNTH_TRUTH=$${VRLAKE_SYNTH_TRUTH:-$(DEMO_TRUTH)}; fi; \
	$(RUN) dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup
	$(RUN) vrlake bench --scale $${SCALE:-quick} --out bench-output

# Linkage quality, time and memory, pseudonymised against an equivalent cleartext Splink model on the same records.
bench-linkage: setup
	$(RUN) python benchmarks/bench_linkage.py --people $${PEOPLE:-20000} --repeat $${REPEAT:-1}

# Pairwise precision/recall/F1, cluster measures and plausibility of the person index that `make demo` built,
# against the truth the demo's synthetic generator kept apart (TRUTH=path for another area).
linkage-quality: setup
	$(RUN) python -m linkage quality --truth $${TRUTH:-$(DEMO_TRUTH)}

docs: setup
	@mkdir -p $(VRLAKE_HOME)/warehouse
	VRLAKE_WAREHOUSE_PATH=$(VRLAKE_HOME)/warehouse/vrlake.duckdb VRLAKE_LAKE_URI=$(VRLAKE_HOME)/lake \
		$(RUN) dbt docs generate --static $(DBT_FLAGS)
	$(RUN) vrlake report --dbt-docs $(DBT_DIR)/target/static_index.html

clean:
	rm -rf .vrlake $(DBT_DIR)/target $(DBT_DIR)/logs test-output bench-output
