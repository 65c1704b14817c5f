# sharewell — every target creates or refreshes .venv first, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ASSETS := src/sharewell/web/static/govuk
CHARTS := src/sharewell/web/static/vega
DEMO_DIR ?= demo-hub

.PHONY: venv assets system-deps demo test lint bench soak serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) $(ASSETS)/.built

# GOV.UK Frontend and Vega (the charts) from npm, copied where the web app serves them.
$(ASSETS)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(ASSETS) $(CHARTS)
	mkdir -p $(ASSETS) $(CHARTS)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
	   node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(ASSETS)/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(ASSETS)/assets
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
	   node_modules/vega-embed/build/vega-embed.min.js $(CHARTS)/
	touch $@

assets: $(ASSETS)/.built

# Debian packages the tests need (Chromium, Java, PostgreSQL); installed only when missing.
system-deps:
	bash scripts/system-deps.sh

demo: venv
	$(BIN)/sharewell demo --out $(DEMO_DIR)

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# The whole suite on SQLite, then every test that touches the operational store again on a
# throwaway local PostgreSQL server (scripts/pg-test-server.sh starts it).
test: lint system-deps
	$(BIN)/pytest
	SHAREWELL_TEST_DATABASE_URL="$$(bash scripts/pg-test-server.sh)" $(BIN)/pytest -m operational

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The long proofs (about half an hour on 2 cores): 60 s of load at 200 requests/s on SQLite
# and on PostgreSQL, 50 kill -9 trials, the long fuzz profile; figures in benchmarks/results/.
soak: venv system-deps
	SHAREWELL_SOAK_DATABASE_URL="$$(bash scripts/pg-test-server.sh)" $(BIN)/python -m benchmarks.soak $(SOAK_ARGS)

serve: venv
	$(BIN)/sharewell serve

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(ASSETS) $(CHARTS) node_modules .pytest_cache .mypy_cache .ruff_cache
