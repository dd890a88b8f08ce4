# The README's commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run serve test test-services test-browser lint format bench clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## run: install, migrate instance/guildhall.sqlite, load demo data once, serve (the
## background worker runs as a thread of run-server: one process, Ctrl-C stops both).
run: $(BIN)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --once
	$(BIN)/flask run-server --host $(HOST) --port $(PORT)

## serve: the production configuration (gunicorn + worker) on local PostgreSQL and Redis;
## see app/production.py for the defaults it fills in.
serve: $(BIN)/.installed
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m app.production

## test: the whole pytest suite (SQLite; browser and service suites skip without their services).
test: $(BIN)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q

## test-plugins-off: the core alone (PLUGINS empty) passes everything outside tests/plugins.
test-plugins-off: $(BIN)/.installed-dev
	PLUGINS= $(BIN)/python -m pytest -n 2 -q --ignore=tests/plugins --ignore=tests/browser

## test-services: the same suite against PostgreSQL plus the Redis and process tests.
test-services: $(BIN)/.installed-dev
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	GUILDHALL_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -n 2 -q --ignore=tests/browser

## test-browser: the Playwright suite in Debian's Chromium.
test-browser: $(BIN)/.installed-dev
	GUILDHALL_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/browser

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(BIN)/.installed-dev
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) .pytest_cache
