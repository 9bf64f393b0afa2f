# The front door: `make run` serves the API, `make test` runs the suite.
# Both create .venv and install the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

.DEFAULT_GOAL := help
.PHONY: help run serve migrate test lint format secret clean fuzz bench e2e postman

help:
	@echo "make run      install, migrate and serve on HOST:PORT (default 127.0.0.1:8000)"
	@echo "make serve    install, migrate and serve for production: WORKERS processes (default 2), no reload"
	@echo "make test     run the test suite (PostgreSQL at 127.0.0.1:5432, else SQLite with a warning)"
	@echo "make migrate  apply the Alembic migrations to DATABASE_URL (or MIGRATION_DATABASE_URL)"
	@echo "make lint     ruff (lint and format check) and mypy"
	@echo "make e2e      the test SPA in headless Chromium (Debian's, installed if missing) against a real server"
	@echo "make postman  regenerate docs/todo-api.postman_collection.json from the OpenAPI document"
	@echo "make clean    remove .venv and caches (keeps .env and the SQLite database)"

$(RUNTIME_STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# A random signing secret in .env, unless one is configured already.
secret:
	@if [ -z "$$BETTER_AUTH_SECRET" ] && ! grep -qs '^BETTER_AUTH_SECRET=.' .env; then \
		umask 077; \
		printf 'BETTER_AUTH_SECRET=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" >> .env; \
		echo "Wrote a new random BETTER_AUTH_SECRET to .env"; \
	fi

migrate: $(RUNTIME_STAMP)
	$(BIN)/alembic upgrade head

run: $(RUNTIME_STAMP) secret migrate
	$(BIN)/python main.py

# Production-style (README "Serving in production"): WORKERS uvicorn processes (default 2)
# on HOST:PORT, no reload, X-Forwarded-* believed only from FORWARDED_ALLOW_IPS (default
# 127.0.0.1). No `secret`: every worker and replica must share one secret, so it is set
# explicitly; without it the app refuses to start.
serve: $(RUNTIME_STAMP) migrate
	$(BIN)/python main.py serve

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Schemathesis against the OpenAPI document of a server on a throwaway PostgreSQL database
# (.ci/fuzz; FUZZ_SEED, FUZZ_MAX_EXAMPLES): about eight minutes.
fuzz: $(DEV_STAMP)
	bash .ci/fuzz

# The test page (e2e/spa/) in headless Chromium, driven by Playwright, against `python main.py`
# on a throwaway PostgreSQL database (e2e/run; installs Debian's chromium when missing).
e2e: $(DEV_STAMP)
	bash e2e/run $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The Postman collection (scripts/postman.py), from the routes' OpenAPI document: run it after
# changing a route; tests/test_postman.py fails while the committed file is stale.
postman: $(RUNTIME_STAMP)
	$(BIN)/python -m scripts.postman

# The benchmark (bench/run.py, README "Benchmark"): about 3.5 minutes on the local PostgreSQL.
bench: $(RUNTIME_STAMP)
	$(BIN)/python -m bench.run

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
