# sharewell — every target creates or refreshes .venv first, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ASSETS := src/sharewell/web/static/govuk
CHARTS := src/sharewell/web/static/vega
SWAGGER := src/sharewell/web/static/swagger
STYLES := src/sharewell/web/styles
DEMO_DIR ?= demo-hub

.PHONY: venv assets system-deps demo test lint bench soak serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) $(ASSETS)/.built

# Front-end assets from npm, put where the web app serves them: GOV.UK Frontend compiled with
# Dart Sass (sass, from npm) so it uses the service's own font, not GOV.UK's GDS Transport
# (src/sharewell/web/styles/), with its images but not its font files; Vega (the charts);
# Swagger UI for /api/docs, so the API's page works without the internet. No package needs an
# install script (--ignore-scripts: nothing runs at install, nothing calls home). Rebuilt when
# this Makefile changes too, so a checkout made before an asset was added gets it.
$(ASSETS)/.built: package.json package-lock.json $(STYLES)/govuk-frontend.scss Makefile
	npm ci --no-audit --no-fund --silent --ignore-scripts
	rm -rf $(ASSETS) $(CHARTS) $(SWAGGER)
	mkdir -p $(ASSETS)/assets $(CHARTS) $(SWAGGER)
	node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map \
	   $(STYLES)/govuk-frontend.scss $(ASSETS)/govuk-frontend.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(ASSETS)/
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images \
	   node_modules/govuk-frontend/dist/govuk/assets/manifest.json $(ASSETS)/assets/
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
	   node_modules/vega-embed/build/vega-embed.min.js $(CHARTS)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   $(SWAGGER)/
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
	rm -rf $(VENV) $(DEMO_DIR) $(ASSETS) $(CHARTS) $(SWAGGER) node_modules .pytest_cache .mypy_cache .ruff_cache
